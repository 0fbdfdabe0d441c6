-- :checkhealth memfs
local M = {}

function M.check()
  vim.health.start('memfs')
  local config = vim.lsp.config.memfs or {}
  local cmd = (config.cmd and config.cmd[1]) or 'memfs-lsp'
  if vim.fn.executable(cmd) == 0 then
    vim.health.error(('server %q not found'):format(cmd),
      { 'install memfs-lsp (pip install memfs-lsp) or set vim.g.memfs_server to its path' })
    return
  end
  vim.health.ok('server found: ' .. vim.fn.exepath(cmd))
  local version = vim.trim(vim.fn.system({ cmd, '--version' }))
  if vim.v.shell_error == 0 then
    vim.health.ok('version: ' .. version)
  else
    vim.health.warn('could not read the server version: ' .. version)
  end
  local client = vim.lsp.get_clients({ name = 'memfs' })[1]
  if not client then
    vim.health.info('memfs is not running in this session (run :MemfsTree or :MemfsChat)')
    if (vim.env.MEMFS_MODEL or '') == '' then
      vim.health.warn('no MEMFS_MODEL in the environment (chat needs a model)',
        { 'export MEMFS_MODEL=anthropic/claude-sonnet-4-5 and its API key, or set '
          .. 'settings.memfs.model in vim.lsp.config' })
    end
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
    vim.health.ok('model configured: ' .. status.model.name)
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
