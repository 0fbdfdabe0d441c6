-- :MemfsTree: one buffer (memfs://tree) listing memory: in-context mark, path, tokens, age of
-- the last change, description. Refreshed on memfs/memoryChanged. <CR> opens the file in the
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

local function render(result)
  local lines = { ('# memory  %s  HEAD %s  system/ ~%d tokens'):format(result.root,
    (result.head or ''):sub(1, 10), result.systemTokens or 0) }
  local files = {}
  for _, file in ipairs(result.files) do
    local change = type(file.lastChange) == 'table' and file.lastChange or nil
    table.insert(lines, ('%s %-40s %6d tok %5s  %s'):format(file.inContext and '●' or ' ',
      file.path, file.tokens, change and M.age(change.date) or '',
      file.description ~= vim.NIL and file.description or '(no description)'))
    files[#lines] = file
  end
  table.insert(lines, '')
  table.insert(lines, '● in context (always in the prompt) · age of the last change · g? keys')
  state.files = files
  local cursor = valid() and vim.fn.bufwinid(state.buf) ~= -1
    and vim.api.nvim_win_get_cursor(vim.fn.bufwinid(state.buf)) or nil
  ui.set_lines(state.buf, lines)
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

local function last_change_diff()
  local file = file_under_cursor()
  if not file then
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
    require('memfs.history').log(file and file.path, state.client_id)
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
    ui.show(buf, 'split', { height = math.min(#lines + 1, math.floor(vim.o.lines * 0.4)) })
  end)
end

handlers.listeners.changed.tree = function()
  if valid() then
    M.refresh()
  end
end

return M
