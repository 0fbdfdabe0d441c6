-- Handlers for the server's custom notifications. Nothing here prints per delta: chat text
-- goes to the chat buffer, progress flows through $/progress (vim.lsp.status(), LspProgress).
local M = {}

M.listeners = { delta = {}, reflection = {}, status = {}, changed = {} }

local function fire(kind, result)
  for _, fn in pairs(M.listeners[kind]) do
    pcall(fn, result)
  end
end

function M.table()
  return {
    ['memfs/chatDelta'] = function(_, result)
      fire('delta', result)
    end,
    ['memfs/reflection'] = function(_, result)
      fire('reflection', result)
      vim.notify(('memfs: reflection %s: %s'):format(result.status, result.message),
        vim.log.levels.INFO)
    end,
    ['memfs/status'] = function(_, result)
      M.last_status = result
      fire('status', result)
      if result.state == 'error' then
        vim.notify('memfs: ' .. (result.message or 'error'), vim.log.levels.WARN)
      end
    end,
    ['memfs/memoryChanged'] = function(_, result)
      fire('changed', result)
    end,
  }
end

return M
