-- The chat buffer (memfs://chat) is the conversation: a header with the agent and the
-- conversation's title, its history (memfs/messages) loaded on open, on :MemfsNew, on a switch
-- and after a restart, then each turn streamed into it. A turn is a state machine
-- (memfs.chat.turn) that always ends; its error is written under the agent's heading.
local client = require('memfs.client')
local config = require('memfs.config')
local handlers = require('memfs.handlers')
local transcript = require('memfs.chat.transcript')
local turns = require('memfs.chat.turn')
local ui = require('memfs.ui')

local M = {}

local NAME = 'memfs://chat'
local FRAMES = { '⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏' }

local state = {
  buf = nil, ---@type integer|nil
  client_id = nil, ---@type integer|nil the client the shown conversation came from
  conversation_id = nil, ---@type string|nil
  agent = nil, ---@type string|nil the agent's name
  title = nil, ---@type string|nil
  turn = nil, ---@type memfs.Turn|nil
  last = 'idle', -- how the last turn ended
  loading = false,
  loaded = false,
  waiting = {}, ---@type function[] to run once the loading conversation is shown
  generation = 0, -- of the latest load (an older one's answer is dropped)
  queue = {}, ---@type function[] events that arrived during a turn, shown after it
  timer = nil, ---@type uv.uv_timer_t|nil
  activity = '',
  sent = 0,
}

local function valid()
  return state.buf ~= nil and vim.api.nvim_buf_is_valid(state.buf)
end

local function header()
  local title = (state.title == nil or state.title == '') and 'new conversation' or state.title
  return ('# %s · %s'):format(state.agent or 'memfs', title)
end

--- Run ``fn`` now, or after the running turn when one streams (so it never lands inside it).
local function after_turn(fn)
  if state.turn then
    table.insert(state.queue, fn)
  else
    fn()
  end
end

-- The spinner under the agent's heading while a turn runs --------------------------------

local function spin()
  if not (state.turn and valid()) then
    return
  end
  local frame = FRAMES[(math.floor(vim.uv.now() / 100) % #FRAMES) + 1]
  transcript.spinner(state.buf, frame .. ' ' .. state.activity)
end

local function start_spinner()
  state.activity = 'thinking…'
  state.timer = state.timer or vim.uv.new_timer()
  state.timer:start(0, 100, vim.schedule_wrap(spin))
end

local function stop_spinner()
  if state.timer then
    state.timer:stop()
  end
  if valid() then
    transcript.spinner(state.buf, nil)
  end
end

-- A turn ----------------------------------------------------------------------------------

local function error_parts(err)
  if type(err) ~= 'table' then
    return tostring(err), nil
  end
  local data = type(err.data) == 'table' and err.data or err
  return data.message or err.message or 'error', data.hint ~= vim.NIL and data.hint or nil
end

local function on_delta(_, delta)
  local buf = state.buf
  if not valid() then
    return
  end
  if delta.kind == 'text' then
    transcript.text(buf, delta.text)
    state.activity = 'writing…'
  elseif delta.kind == 'toolCallStarted' then
    transcript.tool_started(buf, delta)
    local target = (delta.arguments or {}).path or (delta.arguments or {}).query or ''
    state.activity = vim.trim(delta.name .. ' ' .. target) .. '…'
  elseif delta.kind == 'toolCallFinished' then
    transcript.tool_finished(buf, delta)
  elseif delta.kind == 'memoryCommit' then
    transcript.commit(buf, delta.commit, delta.message, delta.paths)
  elseif delta.kind == 'compaction' then
    transcript.note(buf, ('compacted %d messages (~%d → ~%d tokens)'):format(
      delta.summarizedMessages or 0, delta.tokensBefore or 0, delta.tokensAfter or 0))
  elseif delta.kind == 'error' then
    transcript.error(buf, delta.message or 'error', delta.hint)
  end
  spin()
end

local function unmap_cancel()
  if valid() then
    pcall(vim.keymap.del, 'n', '<C-c>', { buffer = state.buf })
  end
end

local function on_end(turn, how, detail)
  state.turn = nil
  state.last = how
  stop_spinner()
  unmap_cancel()
  if valid() and not turn.detached then
    local buf = state.buf
    if how == 'cancelled' then
      transcript.note(buf, '(cancelled)')
    elseif how == 'error' and not turn.error_shown then
      transcript.error(buf, error_parts(detail))
    elseif how == 'done' and detail and detail.stopReason == 'max_steps' then
      transcript.note(buf, '(stopped: the turn reached its step limit)')
    end
    transcript.finish(buf)
    if how == 'done' and detail and detail.conversationId then
      state.conversation_id = detail.conversationId
    end
  end
  local queued = state.queue
  state.queue = {}
  for _, fn in ipairs(queued) do
    fn()
  end
  vim.api.nvim_exec_autocmds('User', { pattern = 'MemfsChatDone',
    data = { state = how, result = how == 'done' and detail or nil } })
  vim.cmd.redrawstatus({ bang = true })
end

handlers.listeners.delta.chat = function(delta)
  if state.turn then
    state.turn:delta(delta)
  end
end

--- Send ``text`` (or the prompt typed below the marker) to the shown conversation.
function M.send(text)
  local buf = M.buffer()
  if state.turn then
    vim.notify('memfs: a reply is still streaming (<C-c> in normal mode cancels it)',
      vim.log.levels.WARN)
    return
  end
  if state.loading then
    vim.notify('memfs: the conversation is still loading', vim.log.levels.WARN)
    return
  end
  if type(text) ~= 'string' or text == '' then
    text = vim.trim(table.concat(transcript.prompt(buf), '\n'))
    if text == '' then
      return
    end
    transcript.set_prompt(buf, { '' })
  end
  transcript.user(buf, text, 'chat')
  transcript.agent(buf)
  state.sent = state.sent + 1
  local chat_id = ('nvim-%d-%d-%x'):format(vim.fn.getpid(), state.sent, vim.uv.hrtime())
  local turn = turns.new(chat_id, { on_delta = on_delta, on_end = on_end })
  state.turn = turn
  start_spinner()
  vim.keymap.set('n', '<C-c>', M.cancel, { buffer = buf, desc = 'memfs: cancel the reply' })
  local id, used = client.request('memfs/chat', {
    text = text, conversationId = state.conversation_id, chatId = chat_id,
    activeUri = require('memfs.scoped').active(),
    workDoneToken = 'memfs-chat-' .. chat_id,
  }, function(result)
    turn:result(result)
  end, { client = state.client_id, on_error = function(err)
    turn:failed(err)
  end })
  turn.request_id, turn.client_id = id, used and used.id
  state.client_id = state.client_id or (used and used.id)
  vim.cmd.redrawstatus({ bang = true })
end

--- Cancel the running turn; what arrived is kept (the server marks it interrupted).
function M.cancel()
  local turn = state.turn
  if turn then
    client.cancel(turn.request_id, turn.client_id)
    turn:finish('cancelled')
  end
end

--- idle, sending or streaming; after a turn: done, cancelled or error.
function M.state()
  return state.turn and state.turn.state or state.last
end

function M.busy()
  return state.turn ~= nil
end

-- History ---------------------------------------------------------------------------------

local function reflection_text(status, message)
  return ('reflection %s: %s'):format(status or 'finished', message or '')
end

local function commit_sha(commit)
  if type(commit) == 'table' then
    return commit.sha or commit.commit
  end
  return commit ~= vim.NIL and commit or nil
end

local function render_item(buf, item)
  local kind = item.kind
  if kind == 'user' then
    transcript.user(buf, item.text or '', item.source)
  elseif kind == 'agent' then
    transcript.agent(buf)
    if item.text and item.text ~= '' then
      transcript.text(buf, item.text)
      transcript.break_text()
    end
    if item.status == 'interrupted' then
      transcript.note(buf, '(interrupted)')
    elseif item.status == 'error' then
      transcript.note(buf, '(stopped by an error)')
    end
  elseif kind == 'toolCall' and item.toolCall then
    transcript.tool(buf, item.toolCall)
  elseif kind == 'memoryCommit' and item.commit then
    transcript.commit(buf, item.commit.sha, item.commit.message, item.commit.paths)
  elseif kind == 'compaction' then
    local c = item.compaction or {}
    transcript.note(buf, ('compacted %d messages (~%d → ~%d tokens)'):format(
      c.summarizedMessages or 0, c.tokensBefore or 0, c.tokensAfter or 0))
  elseif kind == 'error' then
    transcript.error(buf, item.text or 'error', item.hint)
  elseif kind == 'reflection' then
    local r = item.reflection or {}
    transcript.note(buf, reflection_text(r.outcome, item.text), commit_sha(item.commit))
  end
end

local function render_page(buf, page, prompt)
  state.conversation_id = page.conversationId
  state.title = page.title ~= vim.NIL and page.title or state.title
  transcript.reset(buf, header(), prompt)
  for _, item in ipairs(page.items or {}) do
    render_item(buf, item)
  end
  transcript.finish(buf)
  if page.hasMore then
    transcript.more(buf, page.before ~= vim.NIL and page.before or page.items[1].id)
  end
end

local function cursor_to_prompt()
  local win = vim.fn.bufwinid(state.buf)
  if win ~= -1 then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(state.buf), 0 })
  end
end

--- Show ``conversation_id`` (nil: the workspace's current conversation) with its history; a
--- turn still streaming goes on in the server, in its own conversation. ``done`` runs after.
function M.load(conversation_id, done)
  local buf = M.buffer()
  if state.turn then
    state.turn.detached = true
    state.turn:finish('done')
  end
  table.insert(state.waiting, done)
  state.loading = true
  state.generation = state.generation + 1
  local generation = state.generation
  -- ``show`` renders into the buffer unless a later load started meanwhile
  local function show(render)
    if generation ~= state.generation or not valid() then
      return
    end
    render(transcript.prompt(buf))
    state.loading, state.loaded = false, true
    cursor_to_prompt()
    vim.api.nvim_exec_autocmds('User', { pattern = 'MemfsChatLoaded' })
    local waiting = state.waiting
    state.waiting = {}
    for _, fn in ipairs(waiting) do
      fn()
    end
  end
  local function failed(err)
    show(function(prompt)
      transcript.reset(buf, header(), prompt)
      transcript.error(buf, error_parts(err))
      transcript.finish(buf)
    end)
  end
  local _, used = client.request('memfs/status', {}, function(status)
    require('memfs.status').update(status, state.client_id)
    state.agent = status.agent and status.agent.name or state.agent
    local current = status.conversation or {}
    client.request('memfs/messages', { conversationId = conversation_id or current.id },
      function(page)
        show(function(prompt)
          render_page(buf, page, prompt)
        end)
      end, { client = state.client_id, on_error = failed })
  end, { client = state.client_id, on_error = failed })
  state.client_id = used and used.id or state.client_id
end

--- Load the page of messages before ``before`` above the transcript.
local function load_earlier(before)
  client.request('memfs/messages', { conversationId = state.conversation_id, before = before },
    function(page)
      if not valid() then
        return
      end
      transcript.prepend(state.buf, page.items or {}, render_item)
      if page.hasMore then
        transcript.more(state.buf, page.before ~= vim.NIL and page.before or page.items[1].id)
      end
    end, { client = state.client_id })
end

-- Events from elsewhere: Remember turns, reflections, titles --------------------------------

--- A Remember turn (``text`` as typed, ``result`` of memfs.remember) in the shown conversation.
function M.remembered(text, result)
  if not (valid() and state.loaded) then
    return
  end
  after_turn(function()
    local buf = state.buf
    transcript.user(buf, text or '', 'remember')
    transcript.agent(buf)
    if type(result.reply) == 'string' and result.reply ~= '' then
      transcript.text(buf, result.reply)
      transcript.break_text()
    end
    for _, commit in ipairs(result.commits or {}) do
      transcript.commit(buf, commit.commit, commit.message, commit.paths)
    end
    if result.error and result.error ~= vim.NIL then
      transcript.error(buf, result.error.message, result.error.hint)
    elseif result.changed == false then
      transcript.note(buf, 'nothing was remembered: ' .. tostring(result.reason or ''))
    end
    transcript.finish(buf)
  end)
end

handlers.listeners.reflection.chat = function(outcome)
  if not (valid() and state.loaded) or outcome.conversationId ~= state.conversation_id then
    return false
  end
  after_turn(function()
    transcript.note(state.buf, reflection_text(outcome.status, outcome.message),
      commit_sha(outcome.commit))
    transcript.finish(state.buf)
  end)
  return vim.fn.bufwinid(state.buf) ~= -1
end

handlers.listeners.conversation.chat = function(change)
  if valid() and change.conversationId == state.conversation_id then
    state.title = change.title
    transcript.header(state.buf, header())
  end
end

-- The buffer and its window -----------------------------------------------------------------

local function set_window(win)
  local wo = vim.wo[win][0]
  wo.foldmethod = 'expr'
  wo.foldexpr = transcript.FOLDEXPR
  wo.foldtext = "v:lua.require'memfs.chat.transcript'.foldtext()"
  wo.foldlevel = 0
  wo.foldenable = true
  wo.fillchars = 'fold: '
  wo.wrap = true
  wo.linebreak = true
  wo.breakindent = true
end

--- <CR>: a commit's diff, earlier messages, a fold; in the prompt it sends; else it moves.
local function enter()
  local buf = vim.api.nvim_get_current_buf()
  local row = vim.api.nvim_win_get_cursor(0)[1]
  local action = transcript.action(buf, row)
  if action and action.kind == 'commit' then
    require('memfs.history').show_commit(action.sha, state.client_id)
  elseif action and action.kind == 'more' then
    load_earlier(action.before)
  elseif transcript.in_prompt(buf, row) then
    M.send()
  elseif vim.fn.foldlevel(row) > 0 then
    vim.cmd.normal({ args = { 'za' }, bang = true })
  else
    vim.cmd.normal({ args = { vim.keycode('<CR>') }, bang = true })
  end
end

M.keymaps = {
  { 'n', '<CR>', enter, 'in the prompt: send; on a commit: its diff; on a tool call or '
    .. 'commit: open/close its details; on "earlier messages": load them' },
  { { 'n', 'i' }, '<C-s>', M.send, 'send the prompt' },
  { 'n', '<C-c>', nil, 'cancel the reply (while one streams)' },
  { 'n', 'q', function()
    M.close()
  end, 'close the chat window' },
}

--- The chat buffer (created on first use).
function M.buffer()
  if valid() then
    return state.buf
  end
  local buf = ui.scratch(NAME, 'markdown')
  state.buf, state.loaded = buf, false
  transcript.reset(buf, header(), nil)
  ui.map(buf, 'memfs chat', M.keymaps)
  vim.api.nvim_create_autocmd('BufWinEnter', { buffer = buf, callback = function()
    set_window(vim.api.nvim_get_current_win())
  end })
  vim.api.nvim_create_autocmd('InsertLeave', { group = vim.api.nvim_create_augroup(
    'memfs.chat', { clear = true }), callback = vim.schedule_wrap(function()
    if valid() then
      transcript.refold(state.buf)
    end
  end) })
  return buf
end

--- Open (or focus) the chat window; the history loads the first time, and again when the
--- server that served it has stopped. ``ready`` runs once it is shown.
function M.open(ready)
  local buf = M.buffer()
  local options = config.options.chat
  local win = ui.show(buf, options.layout, { width = options.width, height = options.height,
    title = 'memfs chat' })
  set_window(win)
  local served = state.client_id and vim.lsp.get_client_by_id(state.client_id)
  if state.loading or not state.loaded or not served or served:is_stopped() then
    M.load(state.loaded and state.conversation_id or nil, ready)
    return buf
  end
  cursor_to_prompt()
  if ready then
    ready()
  end
  return buf
end

--- Close the chat window (the conversation and a streaming reply go on).
function M.close()
  if valid() then
    ui.hide(state.buf)
  end
end

--- Reload the shown conversation when the chat buffer exists (after :MemfsNew, a switch).
function M.show(conversation_id)
  if valid() then
    M.load(conversation_id)
  end
end

--- The id of the conversation the chat shows (nil before it is loaded).
function M.conversation()
  return state.conversation_id
end

return M
