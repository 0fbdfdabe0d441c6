-- Approval of memory edits (setting `approval`: `ask`). The plugin declares
-- init_options.memfs.approvalUi, so the server asks with the request memfs/approve {id, tier,
-- path, operation, reason, diff, agentId, conversationId}; the turn waits for the answer
-- {decision = 'accept' | 'reject' | 'always', reason?}. The question is a float showing the
-- diff (filetype diff) with keys to answer; `q` puts it aside (:MemfsApprovals brings it back,
-- the status line counts it). A question the server withdraws (the turn was cancelled, or it
-- was answered elsewhere) closes its float: memfs/approvalsChanged and $/cancelRequest both
-- reconcile the open floats with what still waits.
local client = require('memfs.client')
local handlers = require('memfs.handlers')
local ui = require('memfs.ui')

local M = {}

local state = {
  answers = {}, ---@type table<string, fun(answer: table)> the open memfs/approve requests
  floats = {}, ---@type table<string, integer> id -> the buffer of its prompt
  waiting = {}, ---@type table[] the last list of memfs/approvalsChanged
  client_id = nil, ---@type integer|nil the client that asked last
}

local TIERS = { project = 'project memory, shared with the team', personal = 'your agent\'s '
  .. 'own memory' }

--- The buffer name of the question ``id``.
function M.name(id)
  return 'memfs://approval/' .. id
end

local function close(id)
  local buf = state.floats[id]
  state.floats[id] = nil
  if buf and vim.api.nvim_buf_is_valid(buf) then
    vim.api.nvim_buf_delete(buf, { force = true })
  end
end

--- Send the user's answer to the question ``item`` (through its waiting request, else with
--- memfs.resolveApproval) and close its float.
local function answer(item, decision, reason)
  close(item.id)
  local reply = { decision = decision, reason = reason }
  local waiting = state.answers[item.id]
  state.answers[item.id] = nil
  if waiting then
    return waiting(reply)
  end
  client.command('memfs.resolveApproval', { id = item.id, decision = decision, reason = reason },
    function(result)
      if not result.resolved then
        vim.notify('memfs: that question is no longer waiting', vim.log.levels.WARN)
      end
    end)
end

local function reject(item)
  vim.ui.input({ prompt = 'memfs: why reject it? (the agent is told) ' }, function(reason)
    if reason ~= nil then -- <Esc>: no answer yet, the question stays
      answer(item, 'reject', reason ~= '' and reason or nil)
    end
  end)
end

local CHOICES = { 'Accept', 'Reject (say why)', 'Always (stop asking for this tier here)' }

local function choose(item)
  vim.ui.select(CHOICES, { prompt = 'memfs: apply this memory edit?' }, function(choice)
    if choice == CHOICES[1] then
      answer(item, 'accept')
    elseif choice == CHOICES[2] then
      reject(item)
    elseif choice == CHOICES[3] then
      answer(item, 'always')
    end
  end)
end

local function keymaps(item)
  return {
    { 'n', 'a', function()
      answer(item, 'accept')
    end, 'accept: the edit lands' },
    { 'n', 'r', function()
      reject(item)
    end, 'reject, saying why (the agent is told the reason)' },
    { 'n', 'A', function()
      answer(item, 'always')
    end, 'always: accept, and stop asking for this tier in this workspace' },
    { 'n', '<CR>', function()
      choose(item)
    end, 'choose Accept / Reject / Always from a list' },
    { 'n', 'q', function()
      ui.hide(state.floats[item.id])
      vim.notify('memfs: the agent waits for your answer (:MemfsApprovals)', vim.log.levels.INFO)
    end, 'later: close this window, the question keeps waiting (:MemfsApprovals)' },
  }
end

--- Show the question ``item`` (a memfs/approve request, or an entry of
--- memfs/pendingApprovals) in a float; a question shown already is focused.
function M.show(item)
  local buf = state.floats[item.id]
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    buf = ui.scratch(M.name(item.id), 'diff')
    vim.bo[buf].bufhidden = 'hide'
    state.floats[item.id] = buf
    local lines = {
      ('# the agent wants to %s %s'):format(item.operation, item.path),
      ('# %s; why: %s'):format(TIERS[item.tier] or item.tier, item.reason or ''),
      '# a accept · r reject (say why) · A always · <CR> choose · q later · g? keys',
      '',
    }
    vim.list_extend(lines, vim.split(item.diff or '', '\n', { plain = true, trimempty = true }))
    ui.set_lines(buf, lines)
    ui.map(buf, 'memfs approval', keymaps(item))
  end
  local rows = vim.api.nvim_buf_line_count(buf) + 1
  ui.show(buf, 'float', { title = 'memfs: approve a memory edit?',
    height = math.min(rows, math.floor((vim.o.lines - 2) * 0.8)) })
end

--- Show ``item`` now, or once insert mode ends (never steal the keys of someone typing).
local function show_when_idle(item)
  if not vim.api.nvim_get_mode().mode:find('^[iR]') then
    return M.show(item)
  end
  vim.notify(('memfs: the agent asks to %s %s; leave insert mode to answer')
    :format(item.operation, item.path), vim.log.levels.WARN)
  vim.api.nvim_create_autocmd('InsertLeave', { once = true, callback = vim.schedule_wrap(
    function()
      if state.answers[item.id] then
        M.show(item)
      end
    end) })
end

--- The handler of the server's request memfs/approve: asks the user, the answer is the
--- response (the handler runs in a coroutine, as window/showMessageRequest's does).
function M.request(_, params, ctx)
  local co, main = coroutine.running()
  assert(co and not main, 'memfs/approve is answered from a coroutine (Neovim >= 0.11)')
  state.answers[params.id] = function(reply)
    vim.schedule(function()
      coroutine.resume(co, reply)
    end)
  end
  state.client_id = ctx and ctx.client_id
  show_when_idle(params)
  return coroutine.yield()
end

--- Close the floats of questions that no longer wait (``waiting``: the questions that do).
local function reconcile(waiting)
  local still = {}
  for _, item in ipairs(waiting) do
    still[item.id] = true
  end
  for _, id in ipairs(vim.tbl_keys(state.answers)) do
    if not still[id] then
      state.answers[id] = nil -- withdrawn: its request gets no answer
      if state.floats[id] then
        vim.notify('memfs: the question about a memory edit was withdrawn', vim.log.levels.INFO)
      end
      close(id)
    end
  end
  for _, id in ipairs(vim.tbl_keys(state.floats)) do
    if not still[id] then
      close(id)
    end
  end
end

handlers.listeners.approvals.prompt = function(result)
  state.waiting = result.approvals or {}
  reconcile(state.waiting)
end

--- $/cancelRequest names the server's request, not the question: ask what still waits.
function M.cancelled()
  client.request('memfs/pendingApprovals', {}, function(result)
    state.waiting = result.approvals or {}
    reconcile(state.waiting)
  end, { client = state.client_id, on_error = function() end })
end

--- How many memory edits wait for the user (from memfs/approvalsChanged).
function M.count()
  return #state.waiting
end

--- :MemfsApprovals reset: forget the "always" answers of this workspace; says the policies.
function M.reset()
  client.command('memfs.approval', { reset = 'all' }, function(result)
    vim.notify(('memfs: approval: personal %s, project %s; "always" answers forgotten')
      :format(result.personal, result.project), vim.log.levels.INFO)
  end)
end

--- :MemfsApprovals: pick one of the questions waiting and answer it.
function M.list()
  client.request('memfs/pendingApprovals', {}, function(result)
    local items = result.approvals or {}
    if #items == 0 then
      return vim.notify('memfs: no memory edit is waiting for approval', vim.log.levels.INFO)
    end
    vim.ui.select(items, { prompt = 'Memory edits waiting for approval',
      format_item = function(item)
        return ('%s %s (%s): %s'):format(item.operation, item.path, item.tier, item.reason)
      end }, function(item)
      if item then
        M.show(item)
      end
    end)
  end)
end

return M
