-- The harness of tests/editor/test_neovim.py: it runs the README's Neovim configuration (the
-- file BSM_README_LUA, written by the test from the README) and adds a function that writes the
-- diagnostics Neovim received to a JSON file and quits.
local out_file = os.getenv("BSM_DIAGNOSTICS_OUT") or "diagnostics.json"

-- Remember which documents the server published diagnostics for (an empty list counts too).
local published = {}
local publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
  publish(err, result, ctx, config)
  published[result.uri] = true
end

dofile(os.getenv("BSM_README_LUA"))

function _G.dump_diagnostics_and_quit()
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local answered = vim.wait(20000, function() return published[uri] == true end, 50)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(found, {
      line = d.lnum, col = d.col, end_line = d.end_lnum, end_col = d.end_col,
      severity = d.severity, source = d.source or "", code = d.code or lsp.code, message = d.message,
    })
  end
  vim.fn.writefile({ vim.fn.json_encode({ answered = answered, diagnostics = found }) }, out_file)
  vim.lsp.stop_client(vim.lsp.get_active_clients())
  vim.wait(5000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
  vim.cmd("qa!")
end
