-- :MemfsTree: a buffer listing memory; <CR> opens the file under the cursor (attached to the
-- memfs server, so it gets diagnostics, completion and a commit on :w).
local client = require('memfs.client')

local M = {}

function M.open()
  client.request('memfs/tree', {}, function(result)
    local lines, uris = { ('# memory (%s, HEAD %s)'):format(result.root, result.head:sub(1, 10)) }, {}
    for _, file in ipairs(result.files) do
      local mark = file.inContext and '*' or ' '
      table.insert(lines, ('%s %-40s %6d tok  %s'):format(mark, file.path, file.tokens,
        file.description or '(no description)'))
      uris[#lines] = file.uri
    end
    table.insert(lines, '')
    table.insert(lines, '(* = always in context; <CR> opens a file)')
    local buf = vim.api.nvim_create_buf(false, true)
    vim.bo[buf].buftype = 'nofile'
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].modifiable = false
    vim.api.nvim_buf_set_name(buf, 'memfs://tree/' .. buf)
    vim.keymap.set('n', '<CR>', function()
      local uri = uris[vim.api.nvim_win_get_cursor(0)[1]]
      if uri then
        vim.cmd.edit(vim.fn.fnameescape(vim.uri_to_fname(uri)))
        -- the memory file gets diagnostics, completion, hover, and a commit on :w
        local memfs = client.get()
        if memfs then
          vim.lsp.buf_attach_client(0, memfs.id)
        end
      end
    end, { buffer = buf, desc = 'memfs: open memory file' })
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, buf)
  end)
end

return M
