-- Drives `dagsafe server` from a headless Neovim (0.7 or newer) the way a user would:
-- open a DAG file, wait for diagnostics, apply the quick fixes, edit, save, quit.
-- tests/lsp.rs runs it and asserts every step; what each step saw goes to DAGSAFE_OUT as
-- JSON (columns as Neovim keeps them: 0-based bytes, whatever the position encoding).

local bin = os.getenv("DAGSAFE_BIN")
local file = os.getenv("DAGSAFE_FILE")
local out = os.getenv("DAGSAFE_OUT")
local timeout = 20000

local result = { steps = {} }

local function finish()
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

local function fail(message)
  result.error = message
  finish()
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
-- With -u NONE, filetype detection is off.
vim.bo[bufnr].filetype = "python"

local config = {
  name = "dagsafe",
  cmd = { bin, "server" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
  on_exit = function(code)
    result.exit_code = code
  end,
}
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config)
else
  client_id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(bufnr, client_id)
end
if not client_id then
  return fail("the client did not start")
end

local function diagnostics()
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, {
      code = d.code,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      source = d.source,
      message = d.message,
    })
  end
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return list
end

-- Waits until the buffer has `count` diagnostics, then records them and the text.
local function step(name, count)
  local ok = vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) == count
  end, 20)
  if not ok then
    fail(name .. ": timed out waiting for " .. count .. " diagnostics, have " .. vim.fn.json_encode(diagnostics()))
    return false
  end
  table.insert(result.steps, {
    name = name,
    diagnostics = diagnostics(),
    lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false),
  })
  return true
end

-- Asks for the code actions on one line, records their titles, applies the first.
local function fix_line(line)
  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = 0 } },
    context = { diagnostics = {} },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, timeout)
  local titles = {}
  local first
  for _, response in pairs(responses or {}) do
    for _, action in ipairs(response.result or {}) do
      table.insert(titles, action.title)
      first = first or action
    end
  end
  table.insert(result.steps, { name = "actions on line " .. line, titles = titles })
  if first then
    vim.lsp.util.apply_workspace_edit(first.edit, client.offset_encoding)
  end
end

if not step("open", 2) then
  return
end
fix_line(2)
if not step("fixed line 2", 1) then
  return
end
fix_line(3)
if not step("fixed line 3", 0) then
  return
end
vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { 'Z = [Variable.get("z")]' })
if not step("edited", 1) then
  return
end
vim.cmd("write")
if not step("saved", 1) then
  return
end

vim.lsp.stop_client(client_id)
if not vim.wait(timeout, function()
  return result.exit_code ~= nil
end, 20) then
  return fail("the server did not exit")
end
finish()
