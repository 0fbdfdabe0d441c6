-- What require('memfs').statusline() shows: the agent, and busy / reflecting / no model.
-- Kept from memfs/status (asked once a client runs, and again after each turn and switch),
-- the memfs/status notifications and the reflection's $/progress.
local client = require('memfs.client')
local handlers = require('memfs.handlers')

local M = {}

local state = {
  agent = nil, ---@type string|nil
  model = nil, ---@type table|nil memfs/status's model {name, source, configured, hint}
  busy = 0, -- turns the server runs
  error = nil, ---@type string|nil the last error state (no model, failing key)
  reflecting = {}, ---@type table<string|integer, true> reflection progress tokens
  asking = false,
  client_id = nil, ---@type integer|nil the client the status came from
}

local function redraw()
  vim.schedule(function()
    vim.cmd.redrawstatus({ bang = true })
  end)
end

--- Take the agent and model from a memfs/status answer asked by someone else.
function M.update(status, client_id)
  state.agent = status.agent and status.agent.name or state.agent
  state.model = status.model or state.model
  state.client_id = client_id or state.client_id
  redraw()
end

--- Ask the server (the client ``client_id``, else the current project's) for its status
--- again: agent, model.
function M.refresh(client_id)
  if state.asking then
    return
  end
  state.asking = true
  local _, used = client.request('memfs/status', {}, function(status)
    state.asking = false
    M.update(status)
  end, { client = client_id or state.client_id, on_error = function()
    state.asking = false
  end })
  state.client_id = used and used.id or state.client_id
end

handlers.listeners.status.statusline = function(result)
  state.busy = tonumber(result.busy) or 0
  state.error = result.state == 'error' and result.message or nil
  if type(result.model) == 'table' then
    state.model = result.model
  elseif result.state ~= 'busy' then
    M.refresh()
  end
  redraw()
end

vim.api.nvim_create_autocmd('LspProgress', {
  group = vim.api.nvim_create_augroup('memfs.status', { clear = true }),
  callback = function(event)
    local c = vim.lsp.get_client_by_id(event.data.client_id)
    local value = event.data.params.value or {}
    if not c or c.name ~= 'memfs' then
      return
    end
    local token = event.data.params.token
    if value.kind == 'begin' and (value.title or ''):find('reflect') then
      state.reflecting[token] = true
      redraw()
    elseif value.kind == 'end' and state.reflecting[token] then
      state.reflecting[token] = nil
      redraw()
    end
  end,
})

handlers.listeners.approvals.statusline = redraw

--- "memfs: <agent>", then " · busy", " · reflecting" or " · no model", then " · N approval(s)"
--- while memory edits wait for the user; '' without a server.
function M.line()
  local running = vim.lsp.get_clients({ name = 'memfs' })[1]
  if not running then
    return ''
  end
  if state.client_id ~= running.id and not state.asking then
    state.client_id = running.id
    vim.schedule(function()
      M.refresh(running.id)
    end)
  end
  local text = 'memfs: ' .. (state.agent or '…')
  if state.busy > 0 or require('memfs.chat').busy() then
    text = text .. ' · busy'
  elseif next(state.reflecting) then
    text = text .. ' · reflecting'
  elseif state.model and state.model.configured == false then
    text = text .. ' · no model'
  elseif state.error then
    text = text .. ' · error'
  end
  local waiting = require('memfs.approval').count()
  if waiting > 0 then
    text = text .. (' · %d approval%s'):format(waiting, waiting == 1 and '' or 's')
  end
  return text
end

return M
