// The same integration suite in desktop VS Code through @vscode/test-electron, for machines that
// can download it (or have it: set VSCODE_EXECUTABLE to its binary). Not usable on the build
// machines, which cannot reach the VS Code update servers: there runInServer.ts runs the suite.
//   node --import tsx test/integration/runElectron.ts [--trust]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const trust = process.argv.includes('--trust');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'om-workspace-'));
  try {
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out/test/integration/index.js'),
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
      version: process.env.VSCODE_VERSION || 'stable',
      launchArgs: [folder, '--disable-extensions', ...(trust ? [] : ['--disable-workspace-trust'])],
      extensionTestsEnv: { OM_TEST_MODE: trust ? 'untrusted' : 'trusted', OM_TEST_WORKSPACE: folder },
    });
    return 0;
  } catch (e) {
    console.error(`integration suite (desktop VS Code) failed: ${(e as Error).message}`);
    return 1;
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

void main().then((c) => process.exit(c));
