-- memfs: a coding agent with persistent, git-backed memory (user commands, progress echo and
-- `gd` on [[links]] in memory files; see :help memfs)
if vim.g.loaded_memfs then
  return
end
vim.g.loaded_memfs = true
require('memfs.commands').define()
require('memfs.progress')
require('memfs.status')
require('memfs.approval')
require('memfs.scoped')

vim.api.nvim_create_autocmd('LspAttach', {
  group = vim.api.nvim_create_augroup('memfs.attach', { clear = true }),
  callback = function(event)
    local client = vim.lsp.get_client_by_id(event.data.client_id)
    if client and client.name == 'memfs'
      and client:supports_method('textDocument/definition')
      and require('memfs.root').is_memory(vim.api.nvim_buf_get_name(event.buf)) then
      vim.keymap.set('n', 'gd', vim.lsp.buf.definition,
        { buffer = event.buf, desc = 'memfs: go to the [[link]] under the cursor' })
    end
  end,
})
