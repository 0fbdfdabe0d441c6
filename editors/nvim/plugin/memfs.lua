-- memfs: a coding agent with persistent, git-backed memory (user commands; see :help memfs)
if vim.g.loaded_memfs then
  return
end
vim.g.loaded_memfs = true
require('memfs.commands').define()
