-- Finding (or starting) the memfs client and talking to it.
local M = {}

local function root()
  return vim.fs.root(0, { '.memfs', '.git' }) or vim.fn.getcwd()
end

--- The running memfs client, started on the current buffer when there is none.
---@return vim.lsp.Client|nil
function M.get()
  local clients = vim.lsp.get_clients({ name = 'memfs' })
  if clients[1] then
    return clients[1]
  end
  local config = vim.deepcopy(vim.lsp.config.memfs or {})
  if vim.fn.executable(config.cmd and config.cmd[1] or 'memfs-lsp') == 0 then
    vim.notify('memfs: memfs-lsp was not found on PATH; install memfs-lsp or set '
      .. "vim.g.memfs_server to its path (see :checkhealth memfs)", vim.log.levels.ERROR)
    return nil
  end
  config.name = 'memfs'
  config.root_dir = config.root_dir or root()
  local id = vim.lsp.start(config, { bufnr = vim.api.nvim_get_current_buf() })
  return id and vim.lsp.get_client_by_id(id) or nil
end

--- A table that encodes as a JSON object even when empty.
local function object(t)
  if t == nil or next(t) == nil then
    return vim.empty_dict()
  end
  return t
end

--- Send a request; on_result(result) runs on success, errors are shown once.
---@return integer|nil request id
function M.request(method, params, on_result)
  local client = M.get()
  if not client then
    return nil
  end
  local ok, id = client:request(method, object(params), function(err, result)
    if err then
      vim.notify('memfs: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, 0)
  return ok and id or nil
end

--- Run one of the server's memfs.* commands with one object argument.
function M.command(name, args, on_result)
  return M.request('workspace/executeCommand',
    { command = name, arguments = { object(args) } }, on_result)
end

function M.cancel(id)
  local client = M.get()
  if client and id then
    client:cancel_request(id)
  end
end

return M
