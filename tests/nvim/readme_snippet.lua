-- Runs one of README's Neovim snippets as a user's init.lua would, then opens two Python
-- files of one project and records, for each, the dagsafe clients attached to it (their
-- id, name and root folder) and the diagnostics it shows. tests/neovim_readme.rs asserts
-- them. The snippet finds `dagsafe` on PATH, as README says.
--
-- DAGSAFE_SNIPPET: the snippet's file; DAGSAFE_FILES: the files, one per line;
-- DAGSAFE_COUNTS: how many diagnostics each must show; DAGSAFE_OUT: the JSON to write.

local files = vim.split(os.getenv("DAGSAFE_FILES"), "\n", { trimempty = true })
local counts = vim.split(os.getenv("DAGSAFE_COUNTS"), "\n", { trimempty = true })
local out = os.getenv("DAGSAFE_OUT")
local timeout = 30000
local result = { files = {} }

local function finish()
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qall!")
end

-- An error in the snippet (or in its autocmd, raised where the filetype is set) is the
-- result, not a Neovim left waiting.
local function main()
  dofile(os.getenv("DAGSAFE_SNIPPET"))

  local all_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
  for i, file in ipairs(files) do
    vim.cmd("edit " .. vim.fn.fnameescape(file))
    local bufnr = vim.api.nvim_get_current_buf()
    -- With -u NONE, filetype detection is off: setting it fires FileType, as detection would.
    vim.bo[bufnr].filetype = "python"
    local want = tonumber(counts[i])
    local ok = vim.wait(timeout, function()
      return #vim.diagnostic.get(bufnr) == want
    end, 20)
    local entry = { clients = {}, diagnostics = {} }
    for _, client in ipairs(all_clients()) do
      if vim.lsp.buf_is_attached(bufnr, client.id) then
        table.insert(entry.clients, { id = client.id, name = client.name, root_dir = client.config.root_dir })
      end
    end
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(entry.diagnostics, { code = d.code, lnum = d.lnum, col = d.col, source = d.source })
    end
    table.sort(entry.diagnostics, function(a, b)
      return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
    end)
    table.insert(result.files, entry)
    if not ok then
      result.error = file .. ": timed out waiting for " .. want .. " diagnostics"
      return
    end
  end

  for _, client in ipairs(all_clients()) do
    vim.lsp.stop_client(client.id)
  end
  vim.wait(timeout, function()
    return #all_clients() == 0
  end, 20)
end

local ok, message = pcall(main)
if not ok then
  result.error = tostring(message)
end
finish()
