// Keyboard shortcuts of the replay panel, as a pure mapping from a key to an action.

export type KeyAction =
  'togglePlay' | 'back' | 'forward' | 'back10' | 'forward10' | 'first' | 'last' | 'flag' | 'toggleZoom';

export function keyAction(key: string, shift: boolean): KeyAction | null {
  switch (key) {
    case ' ':
    case 'Spacebar':
      return 'togglePlay';
    case 'ArrowLeft':
      return shift ? 'back10' : 'back';
    case 'ArrowRight':
      return shift ? 'forward10' : 'forward';
    case 'PageUp':
      return 'back10';
    case 'PageDown':
      return 'forward10';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'f':
    case 'F':
      return 'flag';
    case 'z':
    case 'Z':
      return 'toggleZoom';
    default:
      return null;
  }
}
