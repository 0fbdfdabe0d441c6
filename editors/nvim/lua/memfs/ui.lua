-- Windows and keymaps shared by the plugin's buffers (chat, tree, log, commit): showing a
-- buffer in a layout, closing its window with `q`, and `g?` listing the buffer's keymaps.
local M = {}

local function size(value, total)
  if value < 1 then
    return math.max(1, math.floor(total * value))
  end
  return math.floor(value)
end

---@class memfs.ShowOpts
---@field width? number columns, or a fraction of the editor
---@field height? number lines, or a fraction of the editor
---@field title? string the float's title

--- Show ``buf`` ('vsplit': at the right, 'split': below, 'float': centred) and focus it; a
--- buffer already in a window of this tab page is focused there instead.
---@param layout 'vsplit'|'split'|'float'
---@param opts memfs.ShowOpts
---@return integer window
function M.show(buf, layout, opts)
  local win = vim.fn.bufwinid(buf)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
    return win
  end
  local columns, lines = vim.o.columns, vim.o.lines - vim.o.cmdheight - 1
  if layout == 'float' then
    local width, height = size(opts.width or 0.8, columns), size(opts.height or 0.8, lines)
    return vim.api.nvim_open_win(buf, true, {
      relative = 'editor', width = width, height = height, border = 'rounded',
      row = math.floor((lines - height) / 2), col = math.floor((columns - width) / 2),
      title = opts.title and (' ' .. opts.title .. ' ') or nil,
      title_pos = opts.title and 'center' or nil,
    })
  elseif layout == 'vsplit' then
    return vim.api.nvim_open_win(buf, true,
      { split = 'right', win = -1, width = size(opts.width or 0.4, columns) })
  end
  return vim.api.nvim_open_win(buf, true,
    { split = 'below', win = -1, height = size(opts.height or 0.4, lines) })
end

--- Close the windows showing ``buf`` (the buffer stays); the last window of the editor shows
--- the alternate buffer (or an empty one) instead.
function M.hide(buf)
  for _, win in ipairs(vim.fn.win_findbuf(buf)) do
    if not pcall(vim.api.nvim_win_close, win, false) then
      vim.api.nvim_win_call(win, function()
        local alternate = vim.fn.bufnr('#')
        if alternate > 0 and alternate ~= buf and vim.fn.buflisted(alternate) == 1 then
          vim.api.nvim_win_set_buf(win, alternate)
        else
          vim.cmd.enew()
        end
      end)
    end
  end
end

--- A scratch buffer named ``name`` (reused when it exists), never written to disk.
function M.scratch(name, filetype)
  local buf = vim.fn.bufnr(name)
  if buf == -1 or not vim.api.nvim_buf_is_valid(buf) then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  if filetype then
    vim.bo[buf].filetype = filetype
  end
  return buf
end

--- Replace the lines of a read-only buffer.
function M.set_lines(buf, lines)
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
end

---@class memfs.Keymap
---@field [1] string|string[] modes
---@field [2] string lhs
---@field [3] function|nil rhs (nil: mapped by its owner only while it applies)
---@field [4] string description (shown by g?)

--- Map ``keymaps`` in ``buf``, plus `g?` listing them.
---@param keymaps memfs.Keymap[]
function M.map(buf, title, keymaps)
  for _, map in ipairs(keymaps) do
    if map[3] then
      vim.keymap.set(map[1], map[2], map[3], { buffer = buf, desc = 'memfs: ' .. map[4],
        nowait = true })
    end
  end
  vim.keymap.set('n', 'g?', function()
    M.help(title, keymaps)
  end, { buffer = buf, desc = 'memfs: list the keymaps' })
end

--- Words of ``text`` in lines of at most ``width`` columns.
local function wrap(text, width)
  local lines, line = {}, ''
  for word in text:gmatch('%S+') do
    if line ~= '' and vim.fn.strdisplaywidth(line .. ' ' .. word) > width then
      table.insert(lines, line)
      line = word
    else
      line = line == '' and word or (line .. ' ' .. word)
    end
  end
  table.insert(lines, line)
  return lines
end

--- A small float listing ``keymaps``; `q`, <Esc> or leaving it closes it.
function M.help(title, keymaps)
  local entries = vim.list_extend(vim.deepcopy(keymaps), { { 'n', 'g?', nil, 'this list' } })
  local room = math.min(vim.o.columns - 20, 70)
  local lines = {}
  for _, map in ipairs(entries) do
    local modes = type(map[1]) == 'table' and table.concat(map[1], '') or map[1]
    for i, part in ipairs(wrap(map[4], room)) do
      table.insert(lines, i == 1 and (' %-8s %-3s %s'):format(map[2], modes, part)
        or ((' '):rep(14) .. part))
    end
  end
  local width = 0
  for _, line in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(line) + 1)
  end
  local buf = vim.api.nvim_create_buf(false, true)
  M.set_lines(buf, lines)
  vim.bo[buf].bufhidden = 'wipe'
  local win = vim.api.nvim_open_win(buf, true, {
    relative = 'editor', style = 'minimal', border = 'rounded', width = width,
    height = #lines, row = math.floor((vim.o.lines - #lines) / 2),
    col = math.floor((vim.o.columns - width) / 2), title = ' ' .. title .. ' keys ',
    title_pos = 'center',
  })
  local function close()
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_close(win, true)
    end
  end
  for _, key in ipairs({ 'q', '<Esc>', 'g?' }) do
    vim.keymap.set('n', key, close, { buffer = buf, nowait = true })
  end
  vim.api.nvim_create_autocmd('WinLeave', { buffer = buf, once = true, callback = close })
  return win
end

return M
