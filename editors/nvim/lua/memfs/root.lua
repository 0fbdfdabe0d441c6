-- Which project folder a buffer belongs to, i.e. which memfs server it talks to. A memory file
-- (under $MEMFS_HOME/agents/<id>/memory) joins the server already running for the project, so
-- opening one never starts a second server rooted at the memory repository.
local M = {}

M.markers = { '.memfs', '.git' }

local function real(path)
  local resolved = vim.uv.fs_realpath(path)
  if resolved then
    return resolved
  end
  local parent = vim.uv.fs_realpath(vim.fs.dirname(path))
  return parent and vim.fs.joinpath(parent, vim.fs.basename(path)) or vim.fs.normalize(path)
end

--- The data home, as the server computes it ($MEMFS_HOME, else $XDG_DATA_HOME/memfs).
function M.home()
  local home = vim.env.MEMFS_HOME
  if home == nil or home == '' then
    local data = vim.env.XDG_DATA_HOME
    if data == nil or data == '' then
      data = vim.fs.joinpath(vim.env.HOME or '~', '.local', 'share')
    end
    home = vim.fs.joinpath(data, 'memfs')
  end
  return real(vim.fs.normalize(home))
end

--- Whether ``path`` is a file inside an agent's memory repository.
function M.is_memory(path)
  if path == nil or path == '' then
    return false
  end
  local agents = M.home() .. '/agents/'
  path = real(path)
  return path:sub(1, #agents) == agents and path:sub(#agents + 1):match('^[^/]+/memory/.') ~= nil
end

--- The project of the current working directory (its root marker's folder, else itself).
function M.cwd()
  local cwd = vim.fn.getcwd()
  return vim.fs.root(cwd, M.markers) or cwd
end

--- The root of a running memfs client: the one of the working directory's project, else the
--- most recently started.
function M.running()
  local want, latest = M.cwd(), nil
  for _, client in ipairs(vim.lsp.get_clients({ name = 'memfs' })) do
    if client.root_dir == want then
      return want
    end
    latest = client.root_dir or latest
  end
  return latest
end

--- The root folder for ``bufnr``: a memory file joins the running client (else the working
--- directory's project); a file elsewhere uses its root marker. Without one: nil, or with
--- ``fallback`` (a command that needs a server) the working directory's project. Buffers that
--- are not files (chat, tree) use the working directory's project.
---@return string|nil
function M.for_buffer(bufnr, fallback)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if vim.bo[bufnr].buftype ~= '' or name == '' or name:match('^%a[%w+.-]*://') then
    return M.cwd()
  end
  if M.is_memory(name) then
    return M.running() or M.cwd()
  end
  return vim.fs.root(bufnr, M.markers) or (fallback and M.cwd() or nil)
end

return M
