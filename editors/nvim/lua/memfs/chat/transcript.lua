-- Writing the conversation into the chat buffer: a header line, "## You" / "## Agent"
-- sections, and "  ⎿ " lines for tool calls, memory commits, errors and notes. A tool call or
-- commit is one summary line with "    │ " detail lines under it, folded by 'foldexpr';
-- rows that <CR> acts on (a commit, "earlier messages") are remembered with extmarks. Below
-- the marker line is the prompt the user types; the transcript never touches it.
local M = {}

M.MARKER = '── your message · <C-s> sends · g? keys ──'
M.DETAIL = '    │ '
M.FOLDEXPR = [[getline(v:lnum)=~'^    │ '?1:(getline(v:lnum+1)=~'^    │ '?'>1':0)]]

local links_ns = vim.api.nvim_create_namespace('memfs.chat.links')
local hl_ns = vim.api.nvim_create_namespace('memfs.chat.highlights')
local spin_ns = vim.api.nvim_create_namespace('memfs.chat.spinner')
local MAX_OUTPUT_LINES = 12

---@class memfs.Transcript
---@field buf integer
---@field section 'you'|'agent'|nil the section the last lines belong to
---@field text_open boolean the last transcript line takes streamed text
---@field links table<integer, table> extmark id -> action ({kind='commit', sha} or {kind='more'})
---@field tools table<string, integer> tool call id -> extmark id of its summary line
local state = { buf = -1, section = nil, text_open = false, links = {}, tools = {},
  refold = false }

--- Row (1-based) of the marker line, restored at the end when it was deleted.
local function marker_row(buf)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i = #lines, 1, -1 do
    if lines[i] == M.MARKER then
      return i
    end
  end
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { M.MARKER, '' })
  return #lines + 1
end

--- The prompt typed below the marker.
function M.prompt(buf)
  return vim.api.nvim_buf_get_lines(buf, marker_row(buf), -1, false)
end

function M.set_prompt(buf, lines)
  vim.api.nvim_buf_set_lines(buf, marker_row(buf), -1, false, lines)
end

--- Whether the 1-based ``row`` is the marker line or below it.
function M.in_prompt(buf, row)
  return row >= marker_row(buf)
end

--- Start over: the header, then the marker and ``prompt`` (what the user had typed).
function M.reset(buf, header, prompt)
  vim.api.nvim_buf_clear_namespace(buf, links_ns, 0, -1)
  vim.api.nvim_buf_clear_namespace(buf, hl_ns, 0, -1)
  vim.api.nvim_buf_clear_namespace(buf, spin_ns, 0, -1)
  state = { buf = buf, section = nil, text_open = false, links = {}, tools = {}, refold = false }
  local lines = { header, '', M.MARKER }
  vim.list_extend(lines, prompt and #prompt > 0 and prompt or { '' })
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
end

function M.header(buf, text)
  vim.api.nvim_buf_set_lines(buf, 0, 1, false, { text })
end

--- Where new transcript lines go (0-based): just above the marker, or while a page of
--- earlier messages is prepended, after what was prepended so far.
local function insertion(buf)
  return state.at or (marker_row(buf) - 1)
end

--- Insert ``lines`` at the insertion point; returns the 0-based row of the first one.
local function add(buf, lines)
  local at = insertion(buf)
  vim.api.nvim_buf_set_lines(buf, at, at, false, lines)
  if state.at then
    state.at = state.at + #lines
  end
  return at
end

local function last_line(buf)
  local at = insertion(buf)
  return vim.api.nvim_buf_get_lines(buf, at - 1, at, false)[1] or ''
end

local function link(buf, row, action)
  local id = vim.api.nvim_buf_set_extmark(buf, links_ns, row, 0, {})
  state.links[id] = action
  return id
end

--- A heading ("## You", "## Remember", "## Agent") after a blank line.
local function heading(buf, text, section)
  local lines = last_line(buf) == '' and { text } or { '', text }
  add(buf, lines)
  state.section, state.text_open = section, false
end

local function agent_section(buf)
  if state.section ~= 'agent' then
    heading(buf, '## Agent', 'agent')
  end
end

--- Start the agent's section ("## Agent") unless the last lines are in it.
M.agent = agent_section

--- The next streamed text starts a new line.
function M.break_text()
  state.text_open = false
end

--- A user message ("## You", or "## Remember" for a Remember turn).
function M.user(buf, text, source)
  heading(buf, source == 'remember' and '## Remember' or '## You', 'you')
  add(buf, vim.split(text ~= '' and text or '(from the conversation)', '\n', { plain = true }))
end

--- Streamed (or stored) reply text, appended to the open text line.
function M.text(buf, text)
  agent_section(buf)
  if not state.text_open then
    add(buf, { '' })
    state.text_open = true
  end
  local at = insertion(buf)
  local parts = vim.split(last_line(buf) .. text, '\n', { plain = true })
  vim.api.nvim_buf_set_lines(buf, at - 1, at, false, parts)
  if state.at then
    state.at = state.at + #parts - 1
  end
end

--- Neovim does not update 'foldexpr' folds for lines changed while in insert mode (they
--- stay unfolded): note that blocks were written then, to fold them when insert mode ends.
local function fold_later()
  if vim.api.nvim_get_mode().mode:find('^[iR]') then
    state.refold = true
  end
end

--- Recompute the folds of ``buf``'s windows after blocks were written in insert mode (new
--- blocks fold; folds the user opened stay open).
function M.refold(buf)
  if not state.refold then
    return
  end
  state.refold = false
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    vim.wo[win][0].foldmethod = 'expr'
  end
end

--- A "  ⎿ " line in the agent's section, with folded detail lines; returns its row.
local function block(buf, summary, details, hl)
  agent_section(buf)
  local lines = { '  ⎿ ' .. summary }
  for _, detail in ipairs(details or {}) do
    table.insert(lines, M.DETAIL .. detail)
  end
  local row = add(buf, lines)
  state.text_open = false
  if #lines > 1 then
    fold_later()
  end
  if hl then
    vim.api.nvim_buf_set_extmark(buf, hl_ns, row, 0, { end_row = row + #lines - 1,
      end_col = #lines[#lines], hl_group = hl })
  end
  return row
end

local function one_line(value, max)
  local text = type(value) == 'string' and value or vim.json.encode(value)
  text = vim.split(text, '\n', { plain = true })[1]
  max = max or 120
  return #text > max and (text:sub(1, max) .. '…') or text
end

local function tool_summary(name, arguments)
  local args = type(arguments) == 'table' and arguments or {}
  local parts = { name }
  for _, key in ipairs({ 'command', 'path', 'old_path', 'new_path', 'query' }) do
    if type(args[key]) == 'string' and args[key] ~= '' then
      table.insert(parts, one_line(args[key], 60))
    end
  end
  return table.concat(parts, ' ')
end

local function argument_lines(arguments)
  local lines = {}
  if type(arguments) ~= 'table' then
    return { 'arguments: ' .. one_line(arguments or '') }
  end
  local keys = vim.tbl_keys(arguments)
  table.sort(keys)
  for _, key in ipairs(keys) do
    table.insert(lines, ('%s: %s'):format(key, one_line(arguments[key])))
  end
  return lines
end

local function outcome_lines(ok, output, err)
  if ok == false then
    return { 'failed: ' .. one_line(err or output or '', 400) }
  end
  if type(output) ~= 'string' or output == '' then
    return {}
  end
  local lines = vim.split(output, '\n', { plain = true })
  local shown = { 'output:' }
  for i = 1, math.min(#lines, MAX_OUTPUT_LINES) do
    table.insert(shown, '  ' .. lines[i])
  end
  if #lines > MAX_OUTPUT_LINES then
    table.insert(shown, ('  … %d more lines'):format(#lines - MAX_OUTPUT_LINES))
  end
  return shown
end

local function failed_suffix(err)
  return ' — failed: ' .. one_line(err or '', 80)
end

--- A tool call as it starts (details filled in when it finishes).
function M.tool_started(buf, call)
  local row = block(buf, tool_summary(call.name, call.arguments), argument_lines(call.arguments))
  state.tools[call.callId or ''] = link(buf, row, { kind = 'tool' })
end

--- A tool call's outcome, under its summary line (a failure also on the summary line).
function M.tool_finished(buf, call)
  local id = state.tools[call.callId or '']
  if not id then
    return
  end
  local row = vim.api.nvim_buf_get_extmark_by_id(buf, links_ns, id, {})[1]
  if not row then
    return
  end
  local lines = vim.api.nvim_buf_get_lines(buf, row, -1, false)
  local last = 1
  while lines[last + 1] and vim.startswith(lines[last + 1], M.DETAIL) do
    last = last + 1
  end
  local details = {}
  for _, line in ipairs(outcome_lines(call.ok, call.output, call.error)) do
    table.insert(details, M.DETAIL .. line)
  end
  vim.api.nvim_buf_set_lines(buf, row + last, row + last, false, details)
  if #details > 0 then
    fold_later()
  end
  if call.ok == false then
    local summary = lines[1]
    vim.api.nvim_buf_set_text(buf, row, #summary, row, #summary, { failed_suffix(call.error) })
    vim.api.nvim_buf_set_extmark(buf, hl_ns, row, 0, { end_col = #summary
      + #failed_suffix(call.error), hl_group = 'DiagnosticWarn' })
  end
end

--- A stored tool call (history): summary, arguments and outcome at once.
function M.tool(buf, call)
  local details = argument_lines(call.arguments)
  vim.list_extend(details, outcome_lines(call.ok, call.output, call.error))
  local summary = tool_summary(call.name, call.arguments)
  if call.ok == false then
    summary = summary .. failed_suffix(call.error)
  end
  block(buf, summary, details, call.ok == false and 'DiagnosticWarn' or nil)
end

--- A memory commit: <CR> on it shows its diff.
function M.commit(buf, sha, message, paths)
  local details = {}
  if paths and #paths > 0 then
    details = { 'paths: ' .. table.concat(paths, ', '), '<CR> on the line above shows the diff' }
  end
  local row = block(buf, ('commit %s %s'):format(sha:sub(1, 10), one_line(message or '')),
    details)
  link(buf, row, { kind = 'commit', sha = sha })
end

--- An error, under the agent's heading, with its hint on the next line.
function M.error(buf, message, hint)
  agent_section(buf)
  local lines = { '  ⎿ error: ' .. message }
  if hint and hint ~= '' and hint ~= vim.NIL and not message:find(hint, 1, true) then
    table.insert(lines, '    ' .. hint)
  end
  local row = add(buf, lines)
  state.text_open = false
  vim.api.nvim_buf_set_extmark(buf, hl_ns, row, 0, { end_row = row + #lines - 1,
    end_col = #lines[#lines], hl_group = 'DiagnosticError' })
end

--- A short note in the agent's section: "(cancelled)", a compaction, a reflection.
function M.note(buf, text, sha)
  local row = block(buf, text, nil, 'Comment')
  if sha then
    link(buf, row, { kind = 'commit', sha = sha })
  end
end

--- The blank line that ends a turn.
function M.finish(buf)
  if last_line(buf) ~= '' then
    add(buf, { '' })
  end
  state.section, state.text_open = nil, false
end

local MORE = '  ⎿ earlier messages: <CR> loads them'

--- "earlier messages" above the transcript: <CR> on it loads the page before ``before``.
function M.more(buf, before)
  vim.api.nvim_buf_set_lines(buf, 1, 1, false, { MORE })
  link(buf, 1, { kind = 'more', before = before })
end

--- Render ``items`` with ``render`` above the transcript (a page of earlier messages), in
--- place of the "earlier messages" line.
function M.prepend(buf, items, render)
  if vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == MORE then
    vim.api.nvim_buf_set_lines(buf, 1, 2, false, {})
  end
  local saved = { section = state.section, text_open = state.text_open }
  state.at, state.section, state.text_open = 2, nil, false
  for _, item in ipairs(items) do
    render(buf, item)
  end
  if last_line(buf) ~= '' then
    add(buf, { '' })
  end
  state.at, state.section, state.text_open = nil, saved.section, saved.text_open
end

--- The action of the 1-based ``row`` (a commit, "earlier messages"), if any.
function M.action(buf, row)
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, links_ns, { row - 1, 0 },
    { row - 1, -1 }, {})) do
    local action = state.links[mark[1]]
    if action and action.kind ~= 'tool' then
      return action
    end
  end
end

--- Show (or move) the spinner under the last transcript line; nil text removes it.
function M.spinner(buf, text)
  if not text then
    vim.api.nvim_buf_clear_namespace(buf, spin_ns, 0, -1)
    return
  end
  local row = math.max(marker_row(buf) - 2, 0)
  vim.api.nvim_buf_set_extmark(buf, spin_ns, row, 0, { id = 1,
    virt_lines = { { { text, 'Comment' } } } })
end

--- The foldtext of a tool call or commit: its summary line.
function M.foldtext()
  return vim.fn.getline(vim.v.foldstart) .. ('  ▸ %d more'):format(vim.v.foldend - vim.v.foldstart)
end

return M
