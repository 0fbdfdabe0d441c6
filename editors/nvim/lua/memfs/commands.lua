-- The :Memfs* user commands, each a thin wrapper over a server command. Each starts the
-- server on demand, for any buffer.
local client = require('memfs.client')

local M = {}

local function notify(message, level)
  vim.notify('memfs: ' .. message, level or vim.log.levels.INFO)
end

local function select(items, prompt, format, on_choice)
  vim.ui.select(items, { prompt = prompt, format_item = format }, function(choice)
    if choice ~= nil then
      on_choice(choice)
    end
  end)
end

function M.init(opts)
  local args = opts.fargs or {}
  local function run(depth, history)
    notify(('init (%s) started; its progress is echoed below and kept in vim.lsp.status()')
      :format(depth))
    client.command('memfs.init', { depth = depth, history = history }, function(result)
      if result.cancelled then
        return notify('init cancelled')
      end
      notify(('init wrote %d file(s)%s'):format(#result.files,
        result.message ~= '' and (': ' .. vim.split(result.message, '\n')[1]) or ''))
    end)
  end
  if args[1] then
    return run(args[1], args[2] ~= 'nohistory')
  end
  select({ 'quick', 'standard', 'deep' }, 'Research depth', nil, function(depth)
    select({ 'yes', 'no' }, 'Read past Claude Code and Codex sessions?', nil, function(answer)
      run(depth, answer == 'yes')
    end)
  end)
end

function M.remember(opts)
  local text = opts.args ~= '' and opts.args or nil
  local chat = require('memfs.chat')
  local function done(result)
    chat.remembered(text, result)
    if result.error ~= vim.NIL and result.error then
      return notify(result.error.message, vim.log.levels.ERROR)
    end
    if #result.files == 0 then
      return notify('nothing was remembered' .. (type(result.reason) == 'string'
        and (': ' .. result.reason) or ''))
    end
    notify(('remembered in %s (%s)'):format(table.concat(result.files, ', '),
      result.commit:sub(1, 10)))
  end
  client.command('memfs.remember', { text = text, conversationId = chat.conversation() }, done)
end

function M.doctor(opts)
  client.command('memfs.doctor', { fix = opts.args == 'fix' }, function(result)
    local items = {}
    client.request('memfs/tree', {}, function(tree)
      for _, f in ipairs(result.findings) do
        table.insert(items, {
          filename = vim.fs.joinpath(tree.root, f.path == 'system/' and 'system' or f.path),
          lnum = f.startLine, text = ('[%s] %s'):format(f.code, f.message),
          type = f.severity == 'error' and 'E' or 'W',
        })
      end
      vim.fn.setqflist({}, ' ', { title = 'memfs doctor', items = items })
      notify(('doctor: %d finding(s)%s; see :copen'):format(#items,
        #result.commits > 0 and (', ' .. #result.commits .. ' fix commit(s)') or ''))
    end)
  end)
end

function M.sleeptime()
  select({ 'compaction', 'step_count', 'off' }, 'Reflection trigger', nil, function(trigger)
    local function finish(step_count)
      select({ 'auto', 'review' }, 'Merge reflections', nil, function(merge)
        client.command('memfs.sleeptime', { trigger = trigger, stepCount = step_count,
          merge = merge }, function(result)
          notify(('sleeptime: trigger %s, every %d messages, merge %s'):format(
            result.trigger, result.stepCount, result.merge))
        end)
      end)
    end
    if trigger == 'step_count' then
      vim.ui.input({ prompt = 'Reflect every N user messages: ', default = '25' }, function(n)
        finish(tonumber(n) or 25)
      end)
    else
      finish(nil)
    end
  end)
end

function M.reflect()
  client.command('memfs.reflect', {}, function()
    notify('reflecting in the background')
  end)
end

function M.new()
  client.command('memfs.newConversation', {}, function(result)
    require('memfs.chat').show(result.id)
    notify('new conversation ' .. result.id)
  end)
end

function M.agents()
  client.command('memfs.listAgents', {}, function(result)
    select(result.agents, 'Switch agent', function(a)
      return (a.id == result.current and '* ' or '  ') .. a.name .. ' (' .. a.id .. ')'
    end, function(agent)
      client.command('memfs.switchAgent', { agentId = agent.id }, function(switched)
        require('memfs.chat').show(switched.conversation and switched.conversation.id)
        require('memfs.status').refresh()
        notify('agent: ' .. agent.name)
      end)
    end)
  end)
end

local function conversation_label(c, current)
  local when = type(c.lastActivity) == 'string'
    and (' · ' .. require('memfs.tree').age(c.lastActivity)) or ''
  local count = type(c.messageCount) == 'number' and (' · %d messages'):format(c.messageCount)
    or ''
  return ('%s%s%s%s (%s)'):format(c.id == current and '* ' or '  ', c.title, when, count, c.id)
end

function M.conversations()
  client.command('memfs.listConversations', {}, function(result)
    select(result.conversations, 'Switch conversation', function(c)
      return conversation_label(c, result.current)
    end, function(conversation)
      client.command('memfs.switchConversation', { conversationId = conversation.id },
        function()
          require('memfs.chat').show(conversation.id)
          notify('conversation: ' .. conversation.title)
        end)
    end)
  end)
end

function M.project_memory()
  client.command('memfs.initProjectMemory', {}, function(result)
    notify(('%s %s%s'):format(result.created and 'project memory created in' or
      'project memory is in', result.root, result.ignored
      and ' (git ignores it: your team will not see it)' or ' (commit it with your code)'),
      result.ignored and vim.log.levels.WARN or nil)
  end)
end

function M.chat(opts)
  local chat = require('memfs.chat')
  chat.open(opts.args ~= '' and function()
    chat.send(opts.args)
  end or nil)
end

function M.define()
  local define = vim.api.nvim_create_user_command
  define('MemfsInit', M.init, { nargs = '*', desc = 'memfs: learn this project into memory' })
  define('MemfsRemember', M.remember, { nargs = '*', desc = 'memfs: remember something' })
  define('MemfsDoctor', M.doctor, { nargs = '?', desc = 'memfs: audit memory (fix: repair)' })
  define('MemfsSleeptime', M.sleeptime, { desc = 'memfs: reflection settings' })
  define('MemfsReflect', M.reflect, { desc = 'memfs: reflect now' })
  define('MemfsChat', M.chat, { nargs = '*', desc = 'memfs: chat with the agent' })
  define('MemfsNew', M.new, { desc = 'memfs: new conversation' })
  define('MemfsAgents', M.agents, { desc = 'memfs: switch agent' })
  define('MemfsConversations', M.conversations, { desc = 'memfs: switch conversation' })
  define('MemfsTree', function()
    require('memfs.tree').open()
  end, { desc = 'memfs: browse memory' })
  define('MemfsProjectMemory', M.project_memory,
    { desc = 'memfs: create the project memory shared with the team (.memfs/memory)' })
  define('MemfsApprovals', function(opts)
    if opts.args == 'reset' then
      return require('memfs.approval').reset()
    end
    require('memfs.approval').list()
  end, { nargs = '?', complete = function()
    return { 'reset' }
  end, desc = 'memfs: answer the memory edits waiting for approval (reset: forget "always")' })
  define('MemfsScoped', function()
    require('memfs.scoped').open()
  end, { desc = 'memfs: open the memories that apply to this file' })
end

return M
