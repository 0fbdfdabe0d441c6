-- memfs language server config for Neovim >= 0.11:
--   vim.lsp.enable('memfs')            (this file is found on 'runtimepath')
--   vim.lsp.config('memfs', { cmd = { '/path/to/memfs-lsp' }, settings = { memfs = { model = '...' } } })
-- Also usable from nvim-lspconfig, which reads the same lsp/<name>.lua files.
local handlers = require('memfs.handlers')

---@type vim.lsp.Config
return {
  cmd = { vim.g.memfs_server or 'memfs-lsp' },
  root_markers = { '.memfs', '.git' },
  settings = { memfs = {} },
  init_options = { memfs = {} },
  handlers = handlers.table(),
}
