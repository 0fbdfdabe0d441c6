-- Handlers for the server's custom notifications, fanned out to listeners by kind. Nothing here
-- prints per delta: chat text goes to the chat buffer, progress flows through $/progress
-- (vim.lsp.status(), LspProgress, fidget.nvim).
local M = {}

---@type table<string, table<string, fun(result: table, client_id: integer): boolean?>>
M.listeners = { delta = {}, reflection = {}, status = {}, changed = {}, conversation = {},
  approvals = {} }

--- Call every listener of ``kind``; true when one of them showed the event to the user.
local function fire(kind, result, ctx)
  local shown = false
  for name, fn in pairs(M.listeners[kind]) do
    local ok, value = pcall(fn, result, ctx and ctx.client_id)
    if not ok then
      vim.notify(('memfs: %s listener %s failed: %s'):format(kind, name, value),
        vim.log.levels.ERROR)
    elseif value then
      shown = true
    end
  end
  return shown
end

function M.table()
  return {
    ['memfs/chatDelta'] = function(_, result, ctx)
      fire('delta', result, ctx)
    end,
    ['memfs/reflection'] = function(_, result, ctx)
      if not fire('reflection', result, ctx) then
        vim.notify(('memfs: reflection %s: %s'):format(result.status, result.message),
          vim.log.levels.INFO)
      end
    end,
    ['memfs/status'] = function(_, result, ctx)
      -- an error state (no model, failing key) comes from a turn, whose chat shows it; the
      -- status line component shows it too
      fire('status', result, ctx)
    end,
    ['memfs/memoryChanged'] = function(_, result, ctx)
      fire('changed', result, ctx)
    end,
    ['memfs/conversationChanged'] = function(_, result, ctx)
      fire('conversation', result, ctx)
    end,
    ['memfs/approvalsChanged'] = function(_, result, ctx)
      fire('approvals', result, ctx)
    end,
    -- a request of the server's (memfs/approve), answered once the user decides
    ['memfs/approve'] = function(err, params, ctx)
      return require('memfs.approval').request(err, params, ctx)
    end,
    ['$/cancelRequest'] = function()
      require('memfs.approval').cancelled()
    end,
  }
end

return M
