-- :checkhealth memfs
local config = require('memfs.config')

local M = {}

local function origin()
  local lsp = vim.lsp.config.memfs or {}
  if type(lsp.cmd) == 'table' then
    return "vim.lsp.config('memfs', { cmd = ... })"
  elseif config.options.server.cmd then
    return "setup{ server = { cmd = ... } }"
  elseif vim.g.memfs_server then
    return 'vim.g.memfs_server'
  end
  return '$PATH'
end

function M.check()
  vim.health.start('memfs')
  local cmd = config.effective_cmd()
  local missing = config.missing_server()
  if missing then
    vim.health.error(('server %q not found (from %s)'):format(cmd[1], origin()),
      { (missing:gsub('^memfs: ', '')) })
    return
  end
  vim.health.ok(('server found: %s (from %s)'):format(vim.fn.exepath(cmd[1]), origin()))
  local version = vim.trim(vim.fn.system({ cmd[1], '--version' }))
  if vim.v.shell_error == 0 then
    vim.health.ok('version: ' .. version)
  else
    vim.health.warn('could not read the server version: ' .. version)
  end
  if vim.lsp.is_enabled and not vim.lsp.is_enabled('memfs') then
    vim.health.info("not enabled for markdown files: require('memfs').setup{} or "
      .. "vim.lsp.enable('memfs') (commands start it anyway)")
  end
  local client, why = require('memfs.client').get()
  if not client then
    vim.health.error('the server did not start: ' .. tostring(why))
    return
  end
  local response = client:request_sync('memfs/status', vim.empty_dict(), 10000, 0)
  if not response or response.err then
    vim.health.error('the server did not answer memfs/status: '
      .. vim.inspect(response and response.err))
    return
  end
  local status = response.result
  if status.model.configured then
    vim.health.ok(('model configured: %s (from %s)'):format(status.model.name,
      status.model.source or '?'))
  else
    vim.health.warn('no model configured', { status.model.hint })
  end
  local memory = status.memory
  vim.health.ok(('memory repo healthy: %s at %s, %d files'):format(memory.path,
    memory.head:sub(1, 10), memory.files))
  if #memory.dirty > 0 then
    vim.health.warn('uncommitted changes in memory: ' .. table.concat(memory.dirty, ', '))
  end
  local level = memory.systemTokens > memory.tokenBudget and 'warn' or 'ok'
  vim.health[level](('system/ is ~%d of %d tokens'):format(memory.systemTokens,
    memory.tokenBudget))
end

return M
