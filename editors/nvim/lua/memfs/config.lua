-- The options of require('memfs').setup{} (see :help memfs-setup) and how the server is found.
local M = {}

---@class memfs.Options
M.defaults = {
  server = {
    -- Command that starts the server (a list, or a string for one word). nil: vim.g.memfs_server,
    -- else `memfs-lsp` on $PATH. Read each time the server starts.
    cmd = nil,
  },
  -- The server's settings (section "memfs"), e.g. { model = 'anthropic/claude-sonnet-4-5' }.
  settings = {},
  chat = {
    layout = 'vsplit', -- 'vsplit' (right), 'split' (below) or 'float'
    width = nil, -- columns, or a fraction of the editor (< 1); nil: 0.4 (vsplit), 0.8 (float)
    height = nil, -- lines, or a fraction of the editor (< 1); nil: 0.4 (split), 0.8 (float)
  },
  progress = {
    -- Echo init and reflection progress in the command line (no message history). Turn it off
    -- when a progress UI such as fidget.nvim shows $/progress already.
    echo = true,
  },
}

M.options = vim.deepcopy(M.defaults)

local LAYOUTS = { vsplit = true, split = true, float = true }

--- Merge user options over the defaults; a bad value is reported and replaced by its default.
function M.set(opts)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if not LAYOUTS[M.options.chat.layout] then
    vim.notify(('memfs: chat.layout %q is not one of vsplit, split, float; using vsplit')
      :format(tostring(M.options.chat.layout)), vim.log.levels.WARN)
    M.options.chat.layout = 'vsplit'
  end
  return M.options
end

--- The command that starts the server, resolved now (setup's server.cmd, then
--- vim.g.memfs_server, then `memfs-lsp`).
---@return string[]
function M.server_cmd()
  local cmd = M.options.server.cmd or vim.g.memfs_server or 'memfs-lsp'
  if type(cmd) == 'string' then
    return { cmd }
  end
  return vim.deepcopy(cmd)
end

--- The server command of the effective LSP config (a table set with vim.lsp.config wins).
---@return string[]
function M.effective_cmd()
  local config = vim.lsp.config.memfs or {}
  if type(config.cmd) == 'table' then
    return config.cmd
  end
  return M.server_cmd()
end

--- Why the server cannot start, with how to fix it; nil when its command is executable.
---@return string|nil
function M.missing_server()
  local cmd = M.effective_cmd()
  if vim.fn.executable(cmd[1]) == 1 then
    return nil
  end
  return ('memfs: the server %q was not found%s. Install memfs-lsp (make install in a checkout '
    .. 'puts it in .venv/bin) and put it on $PATH, or point at it: '
    .. "require('memfs').setup{ server = { cmd = { '/path/to/memfs-lsp' } } } or "
    .. "vim.g.memfs_server = '/path/to/memfs-lsp' (read whenever the server starts; "
    .. ':checkhealth memfs)'):format(cmd[1], cmd[1]:find('/') and '' or ' on $PATH')
end

local warned = false

--- Whether the server can start for a file being opened; when it cannot, says so once per
--- session in one line (commands say it in full each time).
function M.can_start()
  if not M.missing_server() then
    return true
  end
  if not warned then
    warned = true
    vim.notify(('memfs: %q not found; memory files are not attached (:checkhealth memfs)')
      :format(M.effective_cmd()[1]), vim.log.levels.WARN)
  end
  return false
end

return M
