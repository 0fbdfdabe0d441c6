-- :MemfsTree: one buffer (memfs://tree) listing memory: in-context mark, path, tokens, age and
-- author of the last change, description, an expired file's date and a scoped file's globs;
-- with project memory, the two tiers under their own headings (project/ shared with the team,
-- personal). Refreshed on memfs/memoryChanged (either tier: the server announces project
-- memory changed on disk too, by the agent, another program or a pull). <CR> opens the file in the
-- previous window (attached to the same server: diagnostics, completion, commit on :w).
local client = require('memfs.client')
local handlers = require('memfs.handlers')
local ui = require('memfs.ui')

local M = {}

local NAME = 'memfs://tree'
local state = { buf = nil, files = {}, client_id = nil, from_win = nil }

--- "5m", "3h", "2d", "4mo", "1y" since an ISO 8601 time (UTC, or with an offset).
function M.age(iso, now)
  if type(iso) ~= 'string' then
    return ''
  end
  local y, mo, d, h, mi, s, rest = iso:match('^(%d+)-(%d+)-(%d+)[T ](%d+):(%d+):(%d+)(.*)$')
  if not y then
    return ''
  end
  -- os.time reads a table as local time: correct by this machine's offset from UTC
  local fields = { year = y, month = mo, day = d, hour = h, min = mi, sec = s }
  local local_epoch = os.time(fields)
  local utc_offset = os.time() - os.time(os.date('!*t') --[[@as osdateparam]])
  local epoch = local_epoch + utc_offset
  local sign, oh, om = rest:match('([+-])(%d%d):?(%d%d)$')
  if sign then
    epoch = epoch - (sign == '+' and 1 or -1) * (tonumber(oh) * 3600 + tonumber(om) * 60)
  end
  local seconds = math.max(0, (now or os.time()) - epoch)
  for _, unit in ipairs({ { 31536000, 'y' }, { 2592000, 'mo' }, { 86400, 'd' }, { 3600, 'h' },
    { 60, 'm' } }) do
    if seconds >= unit[1] then
      return math.floor(seconds / unit[1]) .. unit[2]
    end
  end
  return 'now'
end

local function valid()
  return state.buf ~= nil and vim.api.nvim_buf_is_valid(state.buf)
end

-- who made a change, by the source of its commit (project memory: the git author, or an
-- edit not committed yet)
local WHO = { manual = 'you', agent = 'agent', chat = 'agent', reflection = 'reflection',
  init = 'init', doctor = 'doctor', remember = 'remember', revert = 'revert',
  created = 'created', import = 'import', uncommitted = 'uncommitted', file = 'not in git' }

--- Who last changed a file: "you", "agent", "reflection", ... or a teammate's name.
function M.author(change)
  if type(change) ~= 'table' then
    return ''
  end
  local who = change.source == 'git' and change.author or WHO[change.source] or change.source
  who = type(who) == 'string' and who or ''
  return vim.fn.strcharlen(who) > 12 and (vim.fn.strcharpart(who, 0, 11) .. '…') or who
end

local tree_ns = vim.api.nvim_create_namespace('memfs.tree')

local function file_line(file)
  local change = type(file.lastChange) == 'table' and file.lastChange or nil
  local description = file.description ~= vim.NIL and file.description or '(no description)'
  if file.expired then
    description = ('expired %s · %s'):format(file.expires, description)
  end
  local globs = type(file.globs) == 'table' and #file.globs > 0
    and ('  [paths: %s]'):format(table.concat(file.globs, ', ')) or ''
  return ('%s %-40s %6d tok %5s %-12s %s%s'):format(file.inContext and '●' or ' ', file.path,
    file.tokens, change and M.age(change.date) or '', M.author(change), description, globs)
end

local function render(result)
  local lines = { ('# memory  %s  HEAD %s  system/ ~%d tokens'):format(result.root,
    (result.head or ''):sub(1, 10), result.systemTokens or 0) }
  local files, headings, expired = {}, {}, {}
  local shared = type(result.project) == 'table' and result.project or nil
  local tier
  for _, file in ipairs(result.files) do
    if shared and file.tier ~= tier then
      tier = file.tier
      table.insert(lines, tier == 'project'
        and ('project/ · shared with the team: %s (commit it with your code) · system/ ~%d '
          .. 'tokens'):format(shared.root, shared.systemTokens or 0)
        or "personal · the agent's own memory")
      headings[#lines] = true
    end
    table.insert(lines, file_line(file))
    files[#lines] = file
    expired[#lines] = file.expired or nil
  end
  table.insert(lines, '')
  table.insert(lines, '● in context (always in the prompt) · age and author of the last change'
    .. ' · [paths: …] loaded only for matching files · g? keys')
  state.files = files
  local cursor = valid() and vim.fn.bufwinid(state.buf) ~= -1
    and vim.api.nvim_win_get_cursor(vim.fn.bufwinid(state.buf)) or nil
  ui.set_lines(state.buf, lines)
  vim.api.nvim_buf_clear_namespace(state.buf, tree_ns, 0, -1)
  for row in pairs(headings) do
    vim.api.nvim_buf_set_extmark(state.buf, tree_ns, row - 1, 0, { line_hl_group = 'Title' })
  end
  for row in pairs(expired) do
    vim.api.nvim_buf_set_extmark(state.buf, tree_ns, row - 1, 0,
      { line_hl_group = 'DiagnosticWarn' })
  end
  if cursor then
    vim.api.nvim_win_set_cursor(vim.fn.bufwinid(state.buf),
      { math.min(cursor[1], #lines), cursor[2] })
  end
  vim.api.nvim_exec_autocmds('User', { pattern = 'MemfsTreeRefreshed' })
  return lines
end

local function file_under_cursor()
  return state.files[vim.api.nvim_win_get_cursor(0)[1]]
end

--- A window of this tab page showing a file (not a float, not a plugin buffer): the previous
--- window, else the one the tree was opened from, else any.
local function editing_window(tree_win)
  local function usable(win)
    return win and win ~= 0 and win ~= tree_win and vim.api.nvim_win_is_valid(win)
      and vim.api.nvim_win_get_tabpage(win) == vim.api.nvim_get_current_tabpage()
      and vim.api.nvim_win_get_config(win).relative == ''
      and vim.bo[vim.api.nvim_win_get_buf(win)].buftype == ''
  end
  for _, win in ipairs({ vim.fn.win_getid(vim.fn.winnr('#')), state.from_win }) do
    if usable(win) then
      return win
    end
  end
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if usable(win) then
      return win
    end
  end
end

--- Open the file under the cursor in the previous window (a new one above when there is none).
local function open_file()
  local file = file_under_cursor()
  if not file then
    return
  end
  local tree_win = vim.api.nvim_get_current_win()
  local target = editing_window(tree_win)
  if target then
    vim.api.nvim_set_current_win(target)
  else
    vim.api.nvim_open_win(0, true, { split = 'above', win = tree_win })
  end
  vim.cmd.edit(vim.fn.fnameescape(vim.uri_to_fname(file.uri)))
  -- the memory file joins the tree's server (also when vim.lsp.enable('memfs') was not called)
  local memfs = client.get(state.client_id)
  if memfs and not vim.lsp.buf_is_attached(0, memfs.id) then
    vim.lsp.buf_attach_client(0, memfs.id)
  end
end

--- Project memory is the user's own files, in their repository: its history is theirs (git).
local function in_project(file)
  if file and file.tier == 'project' then
    vim.notify(('memfs: %s is project memory, in your repository: its history is in git '
      .. '(git log -p -- .memfs/memory/...)'):format(file.path), vim.log.levels.INFO)
    return true
  end
  return false
end

local function last_change_diff()
  local file = file_under_cursor()
  if not file or in_project(file) then
    return
  end
  local history = require('memfs.history')
  if type(file.lastChange) == 'table' then
    return history.show_commit(file.lastChange.sha, state.client_id)
  end
  client.command('memfs.memoryLog', { path = file.path, limit = 1 }, function(result)
    if result.commits[1] then
      history.show_commit(result.commits[1].commit, state.client_id)
    end
  end, { client = state.client_id })
end

M.keymaps = {
  { 'n', '<CR>', open_file, 'open the file in the previous window' },
  { 'n', 'L', function()
    local file = file_under_cursor()
    if not in_project(file) then
      require('memfs.history').log(file and file.path, state.client_id)
    end
  end, 'the log of the file (on the header line: of all memory)' },
  { 'n', 'D', last_change_diff, "the file's last change (its diff)" },
  { 'n', 'R', function()
    M.refresh()
  end, 'refresh' },
  { 'n', 'q', function()
    ui.hide(state.buf)
  end, 'close' },
}

local function buffer()
  if valid() then
    return state.buf
  end
  state.buf = ui.scratch(NAME, 'memfs-tree')
  ui.map(state.buf, 'memfs tree', M.keymaps)
  return state.buf
end

--- Ask the server for the tree again and redraw the buffer (``done(lines)`` after).
function M.refresh(done)
  buffer()
  local _, used = client.request('memfs/tree', {}, function(result)
    if valid() then
      local lines = render(result)
      if done then
        done(lines)
      end
    end
  end, { client = state.client_id })
  state.client_id = used and used.id or state.client_id
end

--- Show the tree (reusing its buffer and window) and refresh it.
function M.open()
  local buf = buffer()
  if vim.api.nvim_get_current_buf() ~= buf then
    state.from_win = vim.api.nvim_get_current_win()
  end
  M.refresh(function(lines)
    local win = ui.show(buf, 'split',
      { height = math.min(#lines + 1, math.floor(vim.o.lines * 0.4)) })
    vim.wo[win][0].wrap = false
  end)
end

handlers.listeners.changed.tree = function()
  if valid() then
    M.refresh()
  end
end

return M
