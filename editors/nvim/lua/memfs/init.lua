-- memfs: a coding agent with persistent, git-backed memory, for Neovim >= 0.11.
--   vim.lsp.enable('memfs')   -- attach the language server (config in lsp/memfs.lua)
-- User commands are defined by plugin/memfs.lua; see :help memfs.
local M = {}

--- Optional setup: override server settings, e.g. { settings = { memfs = { model = '...' } } }.
function M.setup(opts)
  if opts and next(opts) then
    vim.lsp.config('memfs', opts)
  end
  vim.lsp.enable('memfs')
end

M.client = require('memfs.client')
M.chat = require('memfs.chat')

return M
