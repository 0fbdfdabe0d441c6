-- One chat turn as a state machine. A turn starts in 'sending' (the request is out, nothing
-- came back), moves to 'streaming' with its first delta and ends exactly once in 'done',
-- 'cancelled' or 'error', whatever happens: the reply, an error answer, an error delta, a
-- cancel, the server stopping. The chat is idle when it has no active turn.
local M = {}

---@class memfs.Turn
---@field state 'sending'|'streaming'|'done'|'cancelled'|'error'
---@field chat_id string this turn's id, sent with its request and carried by its deltas
---@field request_id integer|nil
---@field client_id integer|nil
---@field error_shown boolean an error delta was rendered already
local Turn = {}
Turn.__index = Turn

local FINAL = { done = true, cancelled = true, error = true }

---@param chat_id string
---@param handlers { on_delta: fun(turn: memfs.Turn, delta: table), on_end: fun(turn: memfs.Turn, state: string, detail: any) }
---@return memfs.Turn
function M.new(chat_id, handlers)
  return setmetatable({ state = 'sending', chat_id = chat_id, error_shown = false,
    handlers = handlers }, Turn)
end

function Turn:active()
  return not FINAL[self.state]
end

--- A memfs/chatDelta of this turn (a late one of a cancelled turn carries another id).
function Turn:delta(delta)
  if not self:active() then
    return
  end
  if delta.chatId ~= self.chat_id then
    return
  end
  self.state = 'streaming'
  if delta.kind == 'error' then
    self.error_shown = true
  end
  self.handlers.on_delta(self, delta)
end

--- End the turn in ``state`` (once; later calls do nothing). Returns whether it ended now.
function Turn:finish(state, detail)
  if not self:active() then
    return false
  end
  self.state = state
  self.handlers.on_end(self, state, detail)
  return true
end

--- The memfs/chat answer.
function Turn:result(result)
  local err = result.error ~= vim.NIL and result.error or nil
  if result.stopReason == 'cancelled' then
    self:finish('cancelled')
  elseif result.stopReason == 'error' or err then
    self:finish('error', err or { message = 'the turn stopped with an error' })
  else
    self:finish('done', result)
  end
end

--- The memfs/chat request failed (an error answer, no server, the server stopped).
function Turn:failed(err)
  self:finish('error', err)
end

return M
