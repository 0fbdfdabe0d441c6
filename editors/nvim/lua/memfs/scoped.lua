-- Memory that follows the file: the server is told which file the user works in
-- (memfs/activeDocument on BufEnter; chat turns carry it as activeUri), and a project file that
-- scoped memories (frontmatter `paths:`) apply to shows the server's CodeLens
-- "memfs: N memories apply here" on its first line (refreshed on entering the buffer, after
-- insert mode and a write, and when memory changes); running it (vim.lsp.codelens.run(), or
-- :MemfsScoped anywhere in the file) opens those memories.
local client = require('memfs.client')
local handlers = require('memfs.handlers')
local root = require('memfs.root')

local M = {}

local state = { active = nil } ---@type { active: string|nil } the URI of the last file entered

--- Whether ``buf`` is a project file (not a memory file, not a plugin or special buffer).
local function source_file(buf)
  local name = vim.api.nvim_buf_get_name(buf)
  return vim.bo[buf].buftype == '' and name ~= '' and not name:match('^%a[%w+.-]*://')
    and not root.is_memory(name)
end

--- The URI of the file the user last worked in (what a chat turn is about), or nil.
function M.active()
  return state.active
end

local function memfs_client(buf)
  return vim.lsp.get_clients({ name = 'memfs', bufnr = buf })[1]
end

local function refresh(buf)
  if vim.api.nvim_buf_is_loaded(buf) and memfs_client(buf) then
    vim.lsp.codelens.refresh({ bufnr = buf })
  end
end

local function entered(buf)
  local attached = memfs_client(buf)
  if not (attached and source_file(buf)) then
    return
  end
  state.active = vim.uri_from_bufnr(buf)
  attached:notify('memfs/activeDocument', { uri = state.active })
  refresh(buf)
end

local group = vim.api.nvim_create_augroup('memfs.scoped', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(event)
    local attached = vim.lsp.get_client_by_id(event.data.client_id)
    if not (attached and attached.name == 'memfs' and source_file(event.buf)) then
      return
    end
    vim.api.nvim_clear_autocmds({ group = group, buffer = event.buf })
    vim.api.nvim_create_autocmd('BufEnter', { group = group, buffer = event.buf,
      callback = function(ev)
        entered(ev.buf)
      end })
    vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufWritePost' }, { group = group,
      buffer = event.buf, callback = function(ev)
        refresh(ev.buf)
      end })
    if event.buf == vim.api.nvim_get_current_buf() then
      entered(event.buf)
    else
      refresh(event.buf)
    end
  end,
})

-- a memory changed (perhaps its `paths:`): refresh the lenses of the files on screen
handlers.listeners.changed.scoped = function()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local buf = vim.api.nvim_win_get_buf(win)
    if source_file(buf) then
      refresh(buf)
    end
  end
end

--- :MemfsScoped: open the scoped memories that apply to the current file (the CodeLens's
--- command, from anywhere in the file).
function M.open()
  local buf = vim.api.nvim_get_current_buf()
  if not source_file(buf) then
    return vim.notify('memfs: :MemfsScoped applies to a file of the project',
      vim.log.levels.WARN)
  end
  client.command('memfs.openScopedMemories', { uri = vim.uri_from_bufnr(buf) }, function(result)
    if #result.memories == 0 then
      vim.notify('memfs: no scoped memory applies to this file', vim.log.levels.INFO)
    end
  end)
end

return M
