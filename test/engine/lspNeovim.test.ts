// The language server standalone, in another editor: headless Neovim starts `node server.js --stdio`,
// opens a real trace file, waits for the flagged-step diagnostic, asks for a hover, and writes what
// it got as JSON. Works with Neovim 0.7 (Debian 12: vim.lsp.start_client + buf_attach_client; vim.lsp.start is 0.8+).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTrace } from '../unit/serverTraceBuilder';
import { serverBundle } from './lspServerBundle';

const INIT_LUA = String.raw`
local result = { attached = false }
local function finish()
  vim.fn.writefile({ vim.fn.json_encode(result) }, vim.env.OM_OUT)
  vim.cmd('qa!')
end
local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(vim.env.OM_TRACE))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'objective-monitor',
    cmd = { vim.env.OM_NODE, vim.env.OM_SERVER, '--stdio' },
    root_dir = vim.fn.fnamemodify(vim.env.OM_TRACE, ':h'),
  })
  result.attached = vim.lsp.buf_attach_client(bufnr, client_id)
  result.flagged = vim.wait(20000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if string.find(d.message, 'fell below the threshold', 1, true) then return true end
    end
    return false
  end, 20)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.diagnostics, { lnum = d.lnum, message = d.message, severity = d.severity, source = d.source })
  end
  local line = tonumber(vim.env.OM_HOVER_LINE)
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover',
    { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = { line = line, character = 0 } }, 10000)
  for _, r in pairs(responses or {}) do
    if r.result and r.result.contents then result.hover = r.result.contents.value end
  end
  vim.lsp.stop_client(client_id)
end)
if not ok then result.error = tostring(err) end
finish()
`;

function hasNvim(): boolean {
  return spawnSync('nvim', ['--version'], { stdio: 'ignore' }).status === 0;
}

test('Neovim (headless) shows the flagged-step diagnostic and the step hover from the server over stdio', async (t) => {
  if (!hasNvim()) {
    t.skip('nvim is not installed (apt-get install -y neovim); the standalone-editor check did not run');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'om-nvim-'));
  try {
    const trace = buildTrace({ steps: 120, dropAt: 40, stopAtFlag: true });
    const file = path.join(dir, 'ep-7.trace.jsonl');
    fs.writeFileSync(file, trace.text);
    const init = path.join(dir, 'init.lua');
    fs.writeFileSync(init, INIT_LUA);
    const out = path.join(dir, 'out.json');
    const flagLine = trace.lineOfStep(trace.flaggedStep!);
    const r = spawnSync('nvim', ['--headless', '--clean', '-u', init], {
      env: {
        ...process.env,
        OM_OUT: out,
        OM_TRACE: file,
        OM_NODE: process.execPath,
        OM_SERVER: await serverBundle(),
        OM_HOVER_LINE: String(flagLine),
        XDG_STATE_HOME: dir,
        XDG_DATA_HOME: dir,
        XDG_CACHE_HOME: dir,
      },
      timeout: 60_000,
      encoding: 'utf8',
    });
    assert.ok(fs.existsSync(out), `nvim wrote no result (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
    const got = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      attached: boolean;
      flagged: boolean;
      error?: string;
      hover?: string;
      diagnostics: { lnum: number; message: string; severity: number; source: string }[];
    };
    assert.equal(got.error, undefined);
    assert.equal(got.attached, true);
    assert.equal(got.flagged, true, JSON.stringify(got.diagnostics));
    // S after 40 steps of +1 is 40; then -3 per step: S_57 = 40 - 54 = -14 < -10 (S_56 = -11 also < -10 -> the flag is at 56)
    assert.equal(trace.flaggedStep, 56);
    assert.deepEqual(got.diagnostics, [
      {
        lnum: flagLine,
        message: 'running objective -11 fell below the threshold -10 at step 56 (detector fixed -10)',
        severity: 1, // Error: the episode was stopped at the flag
        source: 'objective-monitor',
      },
    ]);
    assert.match(got.hover ?? '', /\*\*Step 56\*\* — flagged/);
    assert.match(got.hover ?? '', /margin \(score − threshold\): -1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
