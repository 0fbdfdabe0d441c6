-- memfs language server config for Neovim >= 0.11 (found on 'runtimepath'):
--   vim.lsp.enable('memfs')   or   require('memfs').setup{}
-- It attaches to the files of a project (a folder with .memfs/ or .git: the root markers of
-- lua/memfs/root.lua), so the server knows which files are open (scoped memory, CodeLens) and
-- never to a file outside one; a memory file joins the project's server, never starting a
-- second one. It declares approvalUi: memory edits that need consent are asked with
-- memfs/approve (lua/memfs/approval.lua). The command is resolved each time the server starts:
-- setup's server.cmd, else vim.g.memfs_server, else `memfs-lsp` on $PATH. Override anything
-- with vim.lsp.config('memfs', { ... }); nvim-lspconfig reads this same file.

---@type vim.lsp.Config
return {
  cmd = function(dispatchers, config)
    local memfs = require('memfs.config')
    local missing = memfs.missing_server()
    if missing then
      error(missing, 0)
    end
    return vim.lsp.rpc.start(memfs.server_cmd(), dispatchers, config and {
      cwd = config.cmd_cwd, env = config.cmd_env, detached = config.detached,
    } or nil)
  end,
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if vim.bo[bufnr].buftype ~= '' or name == '' or name:match('^%a[%w+.-]*://') then
      return -- not a file (chat, tree, help, terminal)
    end
    local dir = require('memfs.root').for_buffer(bufnr, false)
    if dir and require('memfs.config').can_start() then
      on_dir(dir)
    end
  end,
  settings = { memfs = {} },
  init_options = { memfs = { approvalUi = true } },
  handlers = require('memfs.handlers').table(),
}
