-- memfs: a coding agent with persistent, git-backed memory, for Neovim >= 0.11.
--   require('memfs').setup{}   -- options: :help memfs-setup
-- The server config is lsp/memfs.lua; the user commands come from plugin/memfs.lua.
local config = require('memfs.config')

local M = {}

--- Set the options (merged over the defaults) and enable the language server.
---@param opts? memfs.Options
function M.setup(opts)
  local options = config.set(opts)
  if next(options.settings) then
    vim.lsp.config('memfs', { settings = { memfs = options.settings },
      init_options = { memfs = vim.tbl_extend('force', options.settings, { approvalUi = true }) } })
  end
  vim.lsp.enable('memfs')
end

--- A status line component: "memfs: <agent>", with " · busy", " · reflecting" or
--- " · no model"; empty while no memfs server runs.
function M.statusline()
  return require('memfs.status').line()
end

M.client = require('memfs.client')
M.chat = require('memfs.chat')

return M
