-- Finding (or starting) the memfs client of the current project and talking to it.
local config = require('memfs.config')
local root = require('memfs.root')

local M = {}

local function live(id)
  local client = id and vim.lsp.get_client_by_id(id)
  return client and not client:is_stopped() and client or nil
end

--- The memfs client for the current buffer (attached to it, else the one of its project),
--- started on demand without attaching any buffer. ``prefer``: a client id to use while alive.
---@return vim.lsp.Client|nil client, string|nil error why there is none
function M.get(prefer)
  local preferred = live(prefer)
  if preferred then
    return preferred
  end
  local buf = vim.api.nvim_get_current_buf()
  local attached = vim.lsp.get_clients({ name = 'memfs', bufnr = buf })[1]
  if attached then
    return attached
  end
  local dir = root.for_buffer(buf, true)
  for _, client in ipairs(vim.lsp.get_clients({ name = 'memfs' })) do
    if client.root_dir == dir then
      return client
    end
  end
  local missing = config.missing_server()
  if missing then
    return nil, missing
  end
  local lsp_config = vim.deepcopy(vim.lsp.config.memfs or {})
  lsp_config.name = 'memfs'
  lsp_config.root_dir = dir
  local id = vim.lsp.start(lsp_config, { attach = false })
  local client = live(id)
  if not client then
    return nil, 'memfs: the server did not start (see :LspLog and :checkhealth memfs)'
  end
  return client
end

--- A table that encodes as a JSON object even when empty.
local function object(t)
  if t == nil or next(t) == nil then
    return vim.empty_dict()
  end
  return t
end

--- One line (or two) saying what went wrong: the server's message, then its hint.
function M.describe(err)
  if type(err) ~= 'table' then
    return tostring(err)
  end
  local data = type(err.data) == 'table' and err.data or {}
  local message = data.message or err.message or tostring(err)
  local hint = data.hint
  if hint and hint ~= '' and hint ~= vim.NIL and not message:find(hint, 1, true) then
    return message .. ' (' .. hint .. ')'
  end
  return message
end

local function notify_error(err)
  vim.notify('memfs: ' .. M.describe(err), vim.log.levels.ERROR)
end

---@class memfs.RequestOpts
---@field on_error? fun(err: table) called instead of the default notification
---@field client? integer the id of the client to prefer

--- Send a request: ``on_result(result)`` on success; an error goes to ``opts.on_error`` (by
--- default a notification), also when no server can be started.
---@return integer|nil request id, vim.lsp.Client|nil client
function M.request(method, params, on_result, opts)
  opts = opts or {}
  local on_error = opts.on_error or notify_error
  local client, why = M.get(opts.client)
  if not client then
    on_error({ code = 'no-server', message = (why or ''):gsub('^memfs: ', '') })
    return nil
  end
  local ok, id = client:request(method, object(params), function(err, result)
    if err then
      return on_error(err)
    end
    if on_result then
      on_result(result)
    end
  end, 0)
  if not ok then
    on_error({ code = 'stopped', message = 'the memfs server has stopped (see :LspLog)' })
    return nil
  end
  return id, client
end

--- Run one of the server's memfs.* commands with one object argument.
function M.command(name, args, on_result, opts)
  return M.request('workspace/executeCommand',
    { command = name, arguments = { object(args) } }, on_result, opts)
end

function M.cancel(id, client_id)
  local client = live(client_id)
  if client and id then
    client:cancel_request(id)
  end
end

return M
