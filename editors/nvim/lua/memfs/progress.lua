-- Echo init and reflection progress ($/progress) in the command line, without filling the
-- message history, so a default setup shows it (progress.echo; skipped when fidget.nvim is
-- loaded, which shows it itself). Chat progress is not echoed: the chat shows a spinner.
local config = require('memfs.config')

local M = {}

local titles = {} ---@type table<string|integer, string>

local function echo(text)
  local room = math.max(vim.v.echospace, 20)
  if vim.fn.strdisplaywidth(text) > room then
    text = vim.fn.strcharpart(text, 0, room - 1) .. '…'
  end
  vim.api.nvim_echo({ { text, 'Comment' } }, false, {})
end

function M.on_progress(event)
  local c = vim.lsp.get_client_by_id(event.data.client_id)
  local token = event.data.params.token
  local value = event.data.params.value or {}
  if not c or c.name ~= 'memfs' or not config.options.progress.echo or package.loaded.fidget
    or (type(token) == 'string' and token:find('^memfs%-chat%-')) then
    return
  end
  if value.kind == 'begin' then
    titles[token] = value.title or 'memfs'
  end
  local title = titles[token] or 'memfs'
  if value.kind == 'end' then
    titles[token] = nil
  end
  local message = value.message or (value.kind == 'end' and 'done') or ''
  local percent = value.percentage and (' (%d%%)'):format(value.percentage) or ''
  echo(('%s: %s%s'):format(title, message, percent))
end

vim.api.nvim_create_autocmd('LspProgress', {
  group = vim.api.nvim_create_augroup('memfs.progress', { clear = true }),
  callback = M.on_progress,
})

return M
