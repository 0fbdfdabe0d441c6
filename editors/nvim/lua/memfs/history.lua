-- Memory history: the log (memfs://log, from memfs.memoryLog) and one commit with its diff
-- (memfs://commit/<sha>, from memfs/commit).
local client = require('memfs.client')
local ui = require('memfs.ui')

local M = {}

--- Show one memory commit (message, author, date, paths, diff) in a float; `q` closes it.
function M.show_commit(sha, client_id)
  client.request('memfs/commit', { sha = sha }, function(commit)
    local lines = {
      'commit ' .. commit.sha,
      ('Author: %s%s'):format(commit.author or '', commit.authorEmail
        and (' <' .. commit.authorEmail .. '>') or ''),
      'Date:   ' .. (commit.date or ''),
      'Source: ' .. (commit.source or ''),
      '',
    }
    for _, line in ipairs(vim.split(commit.message or '', '\n', { plain = true })) do
      table.insert(lines, '    ' .. line)
    end
    table.insert(lines, '')
    vim.list_extend(lines, vim.split(commit.diff or '', '\n', { plain = true }))
    if commit.truncated then
      table.insert(lines, '(diff cut at 200 KB)')
    end
    local buf = ui.scratch('memfs://commit/' .. commit.sha:sub(1, 10), 'git')
    ui.set_lines(buf, lines)
    ui.map(buf, 'memfs commit', { { 'n', 'q', function()
      ui.hide(buf)
    end, 'close' } })
    ui.show(buf, 'float', { title = 'memfs commit ' .. commit.sha:sub(1, 10) })
  end, { client = client_id })
end

local log_state = { commits = {}, client_id = nil }

local function log_commit_under_cursor()
  local commit = log_state.commits[vim.api.nvim_win_get_cursor(0)[1]]
  if commit then
    M.show_commit(commit.commit, log_state.client_id)
  end
end

--- The memory log (of ``path``, or of all memory) in memfs://log, below; <CR> shows a commit.
function M.log(path, client_id)
  client.command('memfs.memoryLog', { path = path, limit = 200 }, function(result)
    local lines = { ('# memory log%s'):format(path and (' of ' .. path) or '') }
    local commits = {}
    for _, commit in ipairs(result.commits) do
      table.insert(lines, ('%s  %s  %s%s'):format(commit.commit:sub(1, 10),
        ((commit.date or ''):sub(1, 16):gsub('T', ' ')), commit.message,
        path and '' or ('  (' .. table.concat(commit.paths or {}, ', ') .. ')')))
      commits[#lines] = commit
    end
    if #result.commits == 0 then
      table.insert(lines, '(no commits)')
    end
    log_state = { commits = commits, client_id = client_id }
    local buf = ui.scratch('memfs://log', 'memfs-log')
    ui.set_lines(buf, lines)
    ui.map(buf, 'memfs log', {
      { 'n', '<CR>', log_commit_under_cursor, "show the commit's diff" },
      { 'n', 'q', function()
        ui.hide(buf)
      end, 'close' },
    })
    ui.show(buf, 'split', { height = math.min(#lines + 1, math.floor(vim.o.lines * 0.4)) })
  end, { client = client_id })
end

return M
