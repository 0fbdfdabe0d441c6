-- The chat buffer: streams memfs/chatDelta, shows tool calls and memory commits as short
-- lines, keeps history; <CR> (normal mode) or <C-s> sends the prompt, <C-c> cancels.
local client = require('memfs.client')
local handlers = require('memfs.handlers')

local M = {}
local MARKER = '-- your message below (<CR> in normal mode or <C-s> sends, <C-c> cancels) --'
local state = { buf = nil, pending = nil, chat_id = nil }

local function buffer()
  if state.buf and vim.api.nvim_buf_is_valid(state.buf) then
    return state.buf
  end
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(buf, 'memfs://chat')
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].filetype = 'markdown'
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '# memfs chat', '', MARKER, '' })
  vim.keymap.set('n', '<CR>', M.send, { buffer = buf, desc = 'memfs: send prompt' })
  vim.keymap.set({ 'n', 'i' }, '<C-s>', M.send, { buffer = buf, desc = 'memfs: send prompt' })
  vim.keymap.set({ 'n', 'i' }, '<C-c>', M.cancel, { buffer = buf, desc = 'memfs: cancel' })
  state.buf = buf
  return buf
end

local function marker_line(buf)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i = #lines, 1, -1 do
    if lines[i] == MARKER then
      return i
    end
  end
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { MARKER, '' })
  return #lines + 1
end

--- Insert transcript lines just above the prompt marker.
local function add(lines)
  local buf = buffer()
  local at = marker_line(buf) - 1
  vim.api.nvim_buf_set_lines(buf, at, at, false, lines)
end

--- Append streamed text to the last transcript line (handling newlines).
local function stream(text)
  local buf = buffer()
  local at = marker_line(buf) - 1
  local last = vim.api.nvim_buf_get_lines(buf, at - 1, at, false)[1] or ''
  local parts = vim.split(last .. text, '\n', { plain = true })
  vim.api.nvim_buf_set_lines(buf, at - 1, at, false, parts)
end

local function on_delta(delta)
  if not state.pending then
    return
  end
  state.chat_id = state.chat_id or delta.chatId
  if delta.chatId ~= state.chat_id then
    return
  end
  if delta.kind == 'text' then
    stream(delta.text)
  elseif delta.kind == 'toolCallStarted' then
    local args = delta.arguments or {}
    local target = args.path or args.query or ''
    add({ ('  ⎿ %s %s %s'):format(delta.name, args.command or '', target) })
    add({ '' })
  elseif delta.kind == 'memoryCommit' then
    add({ ('  ⎿ memory %s %s'):format(delta.commit:sub(1, 10), delta.message) })
    add({ '' })
  elseif delta.kind == 'error' then
    add({ '  ⎿ error: ' .. delta.message .. (delta.hint ~= '' and (' (' .. delta.hint .. ')') or '') })
  end
end
handlers.listeners.delta.chat = on_delta

--- Open (or focus) the chat buffer.
function M.open()
  local buf = buffer()
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  else
    vim.api.nvim_set_current_win(win)
  end
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(buf), 0 })
  return buf
end

--- Send ``text`` (or the prompt typed below the marker).
function M.send(text)
  local buf = buffer()
  if state.pending then
    vim.notify('memfs: a reply is still streaming (<C-c> cancels it)', vim.log.levels.WARN)
    return
  end
  local at = marker_line(buf)
  if type(text) ~= 'string' or text == '' then
    text = vim.trim(table.concat(vim.api.nvim_buf_get_lines(buf, at, -1, false), '\n'))
  end
  if text == '' then
    return
  end
  vim.api.nvim_buf_set_lines(buf, at, -1, false, { '' })
  add(vim.list_extend({ '## You' }, vim.split(text, '\n', { plain = true })))
  add({ '', '## Agent', '' })
  state.chat_id = nil
  state.pending = client.request('memfs/chat', { text = text }, function(result)
    state.pending = nil
    if result.stopReason ~= 'end_turn' then
      add({ '', ('(%s)'):format(result.stopReason) })
    end
    add({ '' })
    vim.api.nvim_exec_autocmds('User', { pattern = 'MemfsChatDone', data = result })
  end)
end

--- Cancel the reply that is streaming; what arrived is kept.
function M.cancel()
  if state.pending then
    client.cancel(state.pending)
    state.pending = nil
    add({ '', '(cancelled)', '' })
  end
end

function M.busy()
  return state.pending ~= nil
end

return M
