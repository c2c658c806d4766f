-- Opens every file of a project in a headless Neovim (0.7 or newer) with `dagsafe server`
-- attached, waits until each buffer shows the number of diagnostics the test expects, and
-- writes what each buffer shows to DAGSAFE_OUT as JSON. tests/parity.rs compares that with
-- `dagsafe check`.
--
-- DAGSAFE_FILES: the files, one per line; DAGSAFE_COUNTS: the expected count for each, one
-- per line; DAGSAFE_ROOT: the workspace root.

local bin = os.getenv("DAGSAFE_BIN")
local root = os.getenv("DAGSAFE_ROOT")
local out = os.getenv("DAGSAFE_OUT")
local files = vim.split(os.getenv("DAGSAFE_FILES"), "\n", { trimempty = true })
local counts = vim.split(os.getenv("DAGSAFE_COUNTS"), "\n", { trimempty = true })
local timeout = 30000

local result = { files = {} }

local function finish()
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

local client_id = vim.lsp.start_client({
  name = "dagsafe",
  cmd = { bin, "server" },
  root_dir = root,
})
if not client_id then
  result.error = "the client did not start"
  return finish()
end

local buffers = {}
for i, file in ipairs(files) do
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  -- With -u NONE, filetype detection is off.
  vim.bo[bufnr].filetype = "python"
  vim.lsp.buf_attach_client(bufnr, client_id)
  buffers[i] = bufnr
end

for i, file in ipairs(files) do
  local bufnr = buffers[i]
  local want = tonumber(counts[i])
  local ok = vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) == want
  end, 20)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(list, { code = d.code, lnum = d.lnum, col = d.col, message = d.message })
  end
  table.sort(list, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  result.files[file] = list
  if not ok then
    result.error = file .. ": timed out waiting for " .. want .. " diagnostics"
  end
end

vim.lsp.stop_client(client_id)
finish()
