-- :checkhealth imaginai — is the executable there, which version, which database, does a daemon answer.
-- Neovim 0.10 has vim.health.start/ok/...; 0.7 to 0.9 have require('health').report_start/...
local M = {}

local function reporter()
  local h = vim.health
  if h and h.start then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  local old = require('health')
  return { start = old.report_start, ok = old.report_ok, warn = old.report_warn, error = old.report_error,
    info = old.report_info }
end

--- The database `imaginai serve` opens with this configuration (the daemon's own rule, PROTOCOL.md).
function M.database_path(config)
  if config.db then
    return config.db == ':memory:' and ':memory:' or vim.fn.expand(config.db)
  end
  local env = os.getenv('IMAGINAI_DB')
  if env and env ~= '' then
    return env
  end
  local data = os.getenv('XDG_DATA_HOME')
  if not data or data == '' then
    data = vim.fn.expand('~/.local/share')
  end
  return data .. '/imaginai/imaginai.sqlite'
end

function M.check()
  local r = reporter()
  local im = require('imaginai')
  local config = im.config

  r.start('imaginai executable')
  local exe = vim.fn.exepath(config.cmd or '')
  if exe == '' then
    r.error('cannot find the executable "' .. tostring(config.cmd) .. '"', {
      'build it (swift build -c release in the repository) and put .build/release/imaginai on $PATH',
      "or give its path: require('imaginai').setup({ cmd = '/path/to/imaginai' })",
    })
    return
  end
  r.ok('found ' .. exe)
  local out = vim.fn.system({ exe, '--version' })
  if vim.v.shell_error ~= 0 then
    r.error('"' .. exe .. ' --version" failed (status ' .. vim.v.shell_error .. '): ' .. vim.trim(out), {
      'check that it is the imaginai executable, built for this machine' })
    return
  end
  r.ok('version ' .. vim.trim(out))

  r.start('imaginai database')
  local db = M.database_path(config)
  if db == ':memory:' then
    r.warn('the database is :memory: (setup db): nothing is kept after Neovim exits')
  elseif vim.fn.filereadable(db) == 1 then
    r.ok('database ' .. db)
  else
    r.info('database ' .. db .. ' (not created yet: the daemon creates it on first use)')
  end

  r.start('imaginai daemon')
  local cmd = { exe, 'serve' }
  if config.db then
    vim.list_extend(cmd, { '--db', db })
  end
  vim.list_extend(cmd, config.args or {})
  local stderr = {}
  local client, err = require('imaginai.rpc').start({
    cmd = cmd,
    on_stderr = function(text)
      table.insert(stderr, text)
    end,
  })
  if not client then
    r.error(err, { 'check that ' .. exe .. ' can be run' })
    return
  end
  local res, ierr = client:request_sync('initialize', { clientInfo = { name = 'imaginai.nvim checkhealth',
    version = im.version } }, 10000)
  if res then
    r.ok(string.format('"%s" answers initialize: %s %s, protocol %s, %d methods', table.concat(cmd, ' '),
      res.serverInfo.name, res.serverInfo.version, res.protocolVersion, #res.capabilities.methods))
    client:set_ready()
    client:request_sync('shutdown', nil, 3000)
    client:notify('exit')
  else
    r.error('the daemon did not answer initialize: ' .. (ierr and ierr.message or '?') .. ' ' .. table.concat(stderr), {
      'run "' .. table.concat(cmd, ' ') .. '" in a shell to see what it says',
      'a database it cannot use is named in the message (see PROTOCOL.md, Storage problems)',
    })
  end
  client:stop(2000)
end

return M
