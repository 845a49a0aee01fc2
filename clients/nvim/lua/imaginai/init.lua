-- imaginai.nvim: a thin Neovim client for the imaginai daemon. All story logic stays in the daemon;
-- this module spawns it, sends requests and shows the answers.
local rpc = require('imaginai.rpc')
local story = require('imaginai.story')
local ui = require('imaginai.ui')
local card_form = require('imaginai.card')
local list = require('imaginai.list')

local M = {}

local ERROR, WARN, INFO = vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO

M.version = '0.1.0'

M.config = {
  cmd = 'imaginai', -- the executable: a path, or a name found on PATH
  db = nil, -- --db PATH; nil: the daemon's default database
  model = nil, -- Settings.model to use (settings/update after initialize)
  settings = nil, -- other SettingsChanges to apply after initialize
  args = {}, -- extra command-line arguments
  mappings = true, -- buffer-local keys in the story buffer
}

M.client = nil
M.adventure = nil -- the adventure played last (commands in a story buffer act on that buffer's)
M.scenario_id = nil -- the scenario picked last; used only while no adventure is being played

--- A name as messages show it: “The Lighthouse”.
local function quote(name)
  return '“' .. tostring(name) .. '”'
end
M.quote = quote

--- Shows a JSON-RPC error (or any message) as a notification.
function M.report(err, what)
  if type(err) == 'table' then
    local msg = err.message or 'unknown error'
    if err.code then
      msg = msg .. ' [' .. tostring(err.code) .. ']'
    end
    ui.notify((what and (what .. ': ') or '') .. msg, ERROR)
  else
    local text = tostring(err):gsub('^[^\n]-%.lua:%d+: ', '')
    ui.notify((what and (what .. ': ') or '') .. text, ERROR)
  end
end

local function fire(pattern)
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = pattern, modeline = false })
end

-- What the daemon may notify (openrpc.json's x-notifications), by method; anything else is ignored.
M.notification_handlers = {
  ['story/chunk'] = function(params)
    local st = story.get(params.adventureId)
    local pending = st and st.pending
    if not pending or pending.id ~= params.requestId then
      return
    end
    pending.chunks = (pending.chunks or 0) + 1
    story.append_chunk(st, params.text or '')
    fire('ImaginAIChunk')
  end,
  ['library/changed'] = function(params)
    M.library_changed(params)
  end,
}

local function on_notification(method, params)
  local handler = M.notification_handlers[method]
  if handler then
    handler(params)
  end
end

--- Starts the daemon if it is not running. Returns the client, or nil after notifying why not.
function M.ensure()
  if M.client and M.client:is_running() then
    return M.client
  end
  local c = M.config
  local exe = c.cmd
  if vim.fn.executable(exe) ~= 1 then
    ui.notify('cannot find the imaginai executable "' .. tostring(exe) .. '" (set cmd in setup())', ERROR)
    return nil
  end
  local cmd = { vim.fn.exepath(exe), 'serve' }
  if c.db then
    vim.list_extend(cmd, { '--db', c.db == ':memory:' and c.db or vim.fn.expand(c.db) })
  end
  vim.list_extend(cmd, c.args or {})
  local client, err
  client, err = rpc.start({
    cmd = cmd,
    on_notification = on_notification,
    on_error = function(e)
      M.report(e, 'internal error')
    end,
    on_exit = function(code)
      if M.client == client then
        M.client = nil
        for _, st in pairs(story.stories) do
          if st.pending then
            st.pending = nil
            story.render(st)
          end
        end
        if not client.stopping then
          ui.notify('the imaginai daemon exited (status ' .. tostring(code) .. ')', WARN)
        end
      end
    end,
  })
  if not client then
    ui.notify(err, ERROR)
    return nil
  end
  M.client = client
  client:request('initialize', {
    clientInfo = { name = 'imaginai.nvim', version = M.version },
  }, function(e, result)
    if e then
      M.report(e, 'initialize')
      return
    end
    client.server = result
    client:notify('initialized', {})
    local changes = vim.deepcopy(c.settings or {})
    if c.model then
      changes.model = c.model
    end
    if next(changes) then
      client:request('settings/update', { changes = changes }, function(se)
        if se then
          M.report(se, 'settings')
        end
        client:set_ready()
      end, { force = true })
    else
      client:set_ready()
    end
  end)
  return client
end

--- Sends a request; on success calls on_result(result), on failure notifies the error
--- (or calls on_error(err) when given). opts.raw keeps JSON nulls as vim.NIL.
function M.request(method, params, on_result, on_error, opts)
  local client = M.ensure()
  if not client then
    return nil
  end
  return client:request(method, params, function(err, result)
    if err then
      if on_error then
        on_error(err)
      else
        M.report(err, method)
      end
    elseif on_result then
      on_result(result)
    end
  end, opts)
end

--- Synchronous request (for scripts and tests): returns result, err.
function M.request_sync(method, params, timeout_ms)
  local client = M.ensure()
  if not client then
    return nil, { code = -32603, message = 'imaginai is not running' }
  end
  return client:request_sync(method, params, timeout_ms)
end

--- shutdown then exit; used on VimLeavePre. Generations still running are cancelled first.
function M.stop()
  local client = M.client
  if not (client and client:is_running()) then
    return
  end
  client.stopping = true
  for _, st in pairs(story.stories) do
    if st.pending and st.pending.id then
      client:cancel(st.pending.id)
    end
  end
  client:request_sync('shutdown', nil, 3000)
  client:notify('exit')
  client:stop(2000)
  M.client = nil
end

---------------------------------------------------------------------------------------------------
-- Adventures and the story buffer

local function story_maps(buf)
  if not M.config.mappings then
    return
  end
  local maps = {
    i = 'ImaginAI do ',
    s = 'ImaginAI say ',
    S = 'ImaginAI story ',
  }
  for key, cmd in pairs(maps) do
    vim.api.nvim_buf_set_keymap(buf, 'n', key, ':' .. cmd, { noremap = true })
  end
  local direct = {
    C = 'continue',
    R = 'retry',
    u = 'undo',
    ['<C-r>'] = 'redo',
    e = 'edit',
    ['<C-c>'] = 'cancel',
    gp = 'context',
    [']v'] = 'versions next',
    ['[v'] = 'versions prev',
    ['<M-Right>'] = 'versions next',
    ['<M-Left>'] = 'versions prev',
  }
  for key, sub in pairs(direct) do
    vim.api.nvim_buf_set_keymap(buf, 'n', key, '<cmd>ImaginAI ' .. sub .. '<CR>', { noremap = true, silent = true })
  end
end

--- Reloads the turns of the current story from the daemon.
function M.reload(st, after)
  M.request('turn/list', { adventureId = st.adventure.id }, function(res)
    st.turns = res.turns
    if not st.pending then
      story.render(st)
    end
    if after then
      after(st)
    end
  end, function(err)
    if err.code == -31001 then
      M.adventure_gone(st.adventure.id) -- deleted elsewhere before we heard of it
    else
      M.report(err, 'turn/list')
    end
  end)
end

--- Makes an adventure current and shows its story buffer.
function M.open_adventure(adventure, after)
  M.adventure = adventure
  if adventure.scenarioId then
    M.scenario_id = adventure.scenarioId
  end
  local st = story.buffer(adventure, story_maps)
  st.deleted = nil
  story.show(st)
  M.reload(st, after)
  return st
end

function M.resume(adventure_id, after)
  M.request('adventure/get', { id = adventure_id }, function(adv)
    M.open_adventure(adv, after)
  end)
end

function M.start_adventure(scenario_id, after)
  M.request('adventure/start', { scenarioId = scenario_id }, function(adv)
    ui.notify('started ' .. quote(adv.name) .. ' from scenario ' .. quote(adv.scenarioName or ''))
    M.open_adventure(adv, after)
  end)
end

--- The adventure commands act on: the current story buffer's, else the one played last.
function M.current_adventure()
  local ok, id = pcall(vim.api.nvim_buf_get_var, 0, 'imaginai_adventure')
  local st = ok and story.get(id)
  if st then
    return st.adventure, st
  end
  if M.adventure then
    return M.adventure, story.get(M.adventure.id)
  end
  return nil
end

local function need_adventure()
  local adv, st = M.current_adventure()
  if not adv then
    ui.notify('no adventure is open: use :ImaginAI scenarios or :ImaginAI adventures', WARN)
    return nil
  end
  if st and st.deleted then
    ui.notify('adventure ' .. quote(adv.name) .. ' was deleted; open another with :ImaginAI adventures', WARN)
    return nil
  end
  return story.buffer(adv, story_maps)
end

--- Calls cb(id) with the scenario commands act on: the played adventure's scenario, else the one
--- picked last in the scenario list; without either, the user picks one.
local function with_scenario(prompt, cb)
  local adv = M.current_adventure()
  local id = (adv and adv.scenarioId) or (not adv and M.scenario_id)
  if id then
    cb(id)
    return
  end
  if adv then
    ui.notify('the scenario of adventure ' .. quote(adv.name) .. ' was deleted; pick one', WARN)
  end
  M.request('scenario/list', { limit = 500 }, function(res)
    if #res.scenarios == 0 then
      ui.notify('there are no scenarios (try :ImaginAI import FILE or :ImaginAI scenario new)', WARN)
      return
    end
    vim.ui.select(res.scenarios, {
      prompt = prompt,
      format_item = function(s)
        return s.name .. '  (' .. s.cardCount .. ' cards)'
      end,
    }, function(choice)
      if choice then
        M.scenario_id = choice.id
        cb(choice.id)
      end
    end)
  end)
end

--- Like with_scenario, with the whole Scenario.
local function with_scenario_obj(prompt, cb)
  with_scenario(prompt, function(id)
    M.request('scenario/get', { id = id }, cb)
  end)
end

local function scenario_line(s)
  local tags = #s.tags > 0 and ('  [' .. table.concat(s.tags, ', ') .. ']') or ''
  return s.name .. '  (' .. s.cardCount .. (s.cardCount == 1 and ' card)' or ' cards)') .. tags
end

local function adventure_line(a)
  local excerpt = (a.excerpt or ''):gsub('%s+', ' ')
  if vim.fn.strchars(excerpt) > 50 then
    excerpt = vim.fn.strcharpart(excerpt, 0, 50) .. '…'
  end
  return string.format('%s  (%d turns, %s, from %s)  %s', a.name, a.turnCount, (a.lastPlayedAt or ''):sub(1, 16),
    a.scenarioName and quote(a.scenarioName) or 'a deleted scenario', excerpt)
end

--- Every entry of a paged list method (scenario/list, adventure/list), fetched 500 at a time.
local function list_all(method, field, cb)
  local all = {}
  local function page(offset)
    M.request(method, { limit = 500, offset = offset }, function(res)
      vim.list_extend(all, res[field])
      if #res[field] == 500 and #all < (res.total or 0) then
        page(#all)
      else
        cb(all)
      end
    end)
  end
  page(0)
end

--- Starts a new adventure of `scn` or resumes one of its adventures.
function M.play_scenario(scn)
  M.scenario_id = scn.id
  list_all('adventure/list', 'adventures', function(adventures)
    local items = { { new = true } }
    for _, a in ipairs(adventures) do
      if a.scenarioId == scn.id then
        table.insert(items, a)
      end
    end
    if #items == 1 then
      M.start_adventure(scn.id)
      return
    end
    vim.ui.select(items, {
      prompt = scn.name,
      format_item = function(a)
        if a.new then
          return 'Start a new adventure'
        end
        return 'Resume ' .. quote(a.name) .. '  (' .. a.turnCount .. ' turns, ' .. a.lastPlayedAt:sub(1, 16) .. ')'
      end,
    }, function(choice)
      if not choice then
        return
      end
      if choice.new then
        M.start_adventure(scn.id)
      else
        M.resume(choice.id)
      end
    end)
  end)
end

--- The scenario list: a buffer with one line per scenario.
function M.scenario_list()
  list.open({
    name = 'imaginai://scenarios',
    title = function(entries)
      return 'Scenarios (' .. #entries .. ')'
    end,
    empty = '(no scenarios: press a to create one, or :ImaginAI import FILE)',
    format = scenario_line,
    load = function(cb)
      list_all('scenario/list', 'scenarios', cb)
    end,
    actions = {
      { key = '<CR>', desc = 'play', fn = function(s)
        M.play_scenario(s)
      end },
      { key = 'c', desc = 'cards', fn = function(s)
        M.scenario_id = s.id
        M.card_list({ scenarioId = s.id }, 'scenario ' .. quote(s.name))
      end },
      { key = 'e', desc = 'edit a field', fn = function(s)
        vim.ui.select(M.scenario_fields, { prompt = 'Edit which field of ' .. quote(s.name) .. '?' }, function(field)
          if field then
            M.edit_text_field('scenario', s.id, field)
          end
        end)
      end },
      { key = 'a', desc = 'new', any = true, fn = function()
        M.scenario_new()
      end },
      { key = 'r', desc = 'rename', fn = function(s)
        M.rename('scenario', s)
      end },
      { key = 'y', desc = 'duplicate', fn = function(s)
        M.duplicate('scenario', s)
      end },
      { key = 'd', desc = 'delete', fn = function(s)
        M.delete('scenario', s)
      end },
    },
  })
end

--- The adventure list: a buffer with one line per adventure, latest played first.
function M.adventure_list()
  list.open({
    name = 'imaginai://adventures',
    title = function(entries)
      return 'Adventures (' .. #entries .. ')'
    end,
    empty = '(no adventures: :ImaginAI scenarios starts one)',
    format = adventure_line,
    load = function(cb)
      list_all('adventure/list', 'adventures', cb)
    end,
    actions = {
      { key = '<CR>', desc = 'resume', fn = function(a)
        M.resume(a.id)
      end },
      { key = 'r', desc = 'rename', fn = function(a)
        M.rename('adventure', a)
      end },
      { key = 'y', desc = 'duplicate', fn = function(a)
        M.duplicate('adventure', a)
      end },
      { key = 'd', desc = 'delete', fn = function(a)
        M.delete('adventure', a)
      end },
    },
  })
end

---------------------------------------------------------------------------------------------------
-- Generation

--- kind: 'act' | 'continue' | 'retry'
function M.generate(kind, action, text)
  local st = need_adventure()
  if not st then
    return
  end
  if st.pending then
    ui.notify('the story is already being written: wait or :ImaginAI cancel', WARN)
    return
  end
  local params = { adventureId = st.adventure.id }
  local method = 'story/' .. kind
  local pending = { text = '' }
  if kind == 'act' then
    if not text or vim.trim(text) == '' then
      ui.notify('say what you ' .. action .. ': :ImaginAI ' .. action .. ' {text}', WARN)
      return
    end
    params.action, params.text = action, text
    pending.player = { action = action, text = text }
  elseif kind == 'retry' then
    local last = st.turns[#st.turns]
    if last and last.role == 'ai' then
      pending.replace_id = last.id
    end
  end
  local client = M.ensure()
  if not client then
    return
  end
  story.show(st)
  st.pending = pending
  pending.id = client:request(method, params, function(err, res)
    if st.pending == pending then
      st.pending = nil
    end
    if err then
      if err.code == -32800 then
        local d = err.data or {}
        story.upsert(st, d.playerTurn)
        story.upsert(st, d.aiTurn)
        story.render(st)
        ui.notify(d.aiTurn and 'cancelled; the partial text was kept' or 'cancelled')
      else
        M.report(err, method)
        story.render(st)
        M.reload(st)
      end
      if st.stale then
        st.stale = nil
        M.reload(st)
      end
      fire('ImaginAIDone')
      return
    end
    story.upsert(st, res.playerTurn)
    story.upsert(st, res.aiTurn)
    story.render(st)
    if st.stale then
      -- another process changed the story while we streamed: show its turns now
      st.stale = nil
      M.reload(st)
    end
    if kind == 'retry' and res.aiTurn then
      M.show_version_count(st, res.aiTurn)
    end
    fire('ImaginAIDone')
  end)
  story.render(st)
end

--- Marks a retried turn with "version N/M", so it is clear that [v brings the earlier text back.
function M.show_version_count(st, turn)
  M.request('turn/versions', { id = turn.id }, function(res)
    for i, v in ipairs(res.versions) do
      if v.current then
        st.version_marks = st.version_marks or {}
        st.version_marks[turn.id] = string.format('version %d/%d', i, #res.versions)
      end
    end
    if not st.pending then
      story.render(st)
    end
  end)
end

function M.cancel()
  local adv = M.current_adventure()
  local st = adv and story.get(adv.id)
  if not (st and st.pending and st.pending.id and M.client) then
    ui.notify('nothing is being generated', WARN)
    return
  end
  M.client:cancel(st.pending.id)
end

local function history_op(method, verb)
  local st = need_adventure()
  if not st then
    return
  end
  M.request(method, { adventureId = st.adventure.id }, function(res)
    local n = #(res.removed or res.restored or {})
    ui.notify(verb .. ' ' .. n .. (n == 1 and ' turn' or ' turns') .. ' of ' .. quote(st.adventure.name))
    M.reload(st)
  end)
end

---------------------------------------------------------------------------------------------------
-- Editing in scratch buffers

function M.edit_turn()
  local st = need_adventure()
  if not st then
    return
  end
  local row
  if vim.api.nvim_get_current_buf() == st.buf then
    row = vim.api.nvim_win_get_cursor(0)[1]
  else
    row = vim.api.nvim_buf_line_count(st.buf)
  end
  local turn = story.turn_at(st, row)
  if not turn then
    ui.notify('no turn under the cursor', WARN)
    return
  end
  ui.scratch('imaginai://turn/' .. turn.id, ui.split_lines(turn.text), function(lines, done)
    M.request('turn/edit', { id = turn.id, text = table.concat(lines, '\n') }, function(updated)
      story.upsert(st, updated)
      if not st.pending then
        story.render(st)
      end
      done(true)
      ui.notify('turn ' .. updated.index .. ' saved')
    end)
  end, { filetype = 'markdown' })
end

local card_ns = vim.api.nvim_create_namespace('imaginai-card')

-- Field names and the two marker lines stand out from the text the user writes.
local function highlight_card(buf, form)
  vim.api.nvim_buf_clear_namespace(buf, card_ns, 0, -1)
  -- Hints line up in one column after the widest header line (padding, so that editing a value
  -- pushes its hint along rather than hiding text under it).
  local hint_col = 0
  for _, line in ipairs(form.lines) do
    if line == card_form.DESCRIPTION_MARKER then
      break
    end
    hint_col = math.max(hint_col, vim.fn.strdisplaywidth(line))
  end
  hint_col = math.min(hint_col, 48) + 3
  for i, line in ipairs(form.lines) do
    local name = card_form.header_line(line)
    if line == card_form.DESCRIPTION_MARKER or line == form.notes_marker then
      vim.api.nvim_buf_add_highlight(buf, card_ns, 'Title', i - 1, 0, -1)
    elseif name and card_form.by_name[name] then
      vim.api.nvim_buf_add_highlight(buf, card_ns, 'Identifier', i - 1, 0, #name + 1)
      local hint = card_form.by_name[name].hint
      if hint then
        local pad = string.rep(' ', math.max(2, hint_col - vim.fn.strdisplaywidth(line)))
        vim.api.nvim_buf_set_extmark(buf, card_ns, i - 1, 0, { virt_text = { { pad .. hint, 'Comment' } } })
      end
    end
    if line == card_form.DESCRIPTION_MARKER then
      break
    end
  end
end

local function edit_card(card, owner_label)
  local form = card_form.form(card)
  local buf
  buf = ui.scratch('imaginai://card/' .. card.id, form.lines, function(lines, done)
    local changes, perr = card_form.changes(form, lines)
    if not changes then
      ui.notify('card not saved: ' .. perr, ERROR)
      return
    end
    if next(changes) == nil then
      done(true)
      ui.notify('card ' .. quote(card.name) .. ': nothing changed')
      return
    end
    M.request('card/update', { id = card.id, changes = changes }, function(updated)
      card, form = updated, card_form.form(updated)
      -- Show what the daemon stored (keys trimmed, empty keys dropped) once it differs from the buffer.
      if vim.api.nvim_buf_is_valid(buf) and not vim.deep_equal(form.lines, vim.api.nvim_buf_get_lines(buf, 0, -1, false)) then
        vim.api.nvim_buf_set_lines(buf, 0, -1, false, form.lines)
        highlight_card(buf, form)
      end
      done(true)
      local names = vim.tbl_keys(changes)
      table.sort(names)
      ui.notify('card ' .. quote(updated.name) .. ' saved (' .. owner_label .. '): ' .. table.concat(names, ', '))
      list.refresh_all()
    end)
  end, { filetype = 'imaginai-card' })
  vim.api.nvim_buf_set_var(buf, 'imaginai_card', { id = card.id, name = card.name, owner = owner_label })
  highlight_card(buf, form)
end
M.edit_card = edit_card

--- The cards commands act on: while playing, the adventure's own cards (the scenario's are only the
--- template new adventures copy); otherwise the scenario's. cb(owner_params, label).
local function card_owner(cb)
  for _, lst in pairs(list.lists) do
    if lst.owner and lst.buf == vim.api.nvim_get_current_buf() then
      cb(lst.owner, lst.label) -- in a card list: the cards listed
      return
    end
  end
  local adv = M.current_adventure()
  if adv then
    cb({ adventureId = adv.id }, 'adventure ' .. quote(adv.name))
  else
    with_scenario_obj('Cards of which scenario?', function(scn)
      cb({ scenarioId = scn.id }, 'scenario ' .. quote(scn.name))
    end)
  end
end

--- The card list of one owner ({adventureId} or {scenarioId}), labelled `label` in messages.
function M.card_list(owner, label)
  local owner_id = owner.adventureId or owner.scenarioId
  list.open({
    name = 'imaginai://cards/' .. owner_id,
    owner = owner,
    label = label,
    title = function(entries)
      return 'Cards of ' .. label .. ' (' .. #entries .. ')'
    end,
    empty = '(no cards: press a to create one)',
    format = card_form.label,
    load = function(cb)
      local method = owner.adventureId and 'adventure/get' or 'scenario/get'
      M.request(method, { id = owner_id }, function(res)
        cb(res.cards)
      end, function(err)
        if err.code == -31001 then
          cb({})
          ui.notify(label .. ' no longer exists', WARN)
        else
          M.report(err, method)
        end
      end)
    end,
    actions = {
      { key = '<CR>', desc = 'edit', fn = function(card)
        edit_card(card, label)
      end },
      { key = 'a', desc = 'new', any = true, fn = function()
        M.card_new(owner, label)
      end },
      { key = 'y', desc = 'duplicate', fn = function(card)
        M.duplicate('card', card, label)
      end },
      { key = 'd', desc = 'delete', fn = function(card)
        M.delete('card', card, label)
      end },
    },
  })
end

--- :ImaginAI card: the current owner's card list.
function M.card()
  card_owner(M.card_list)
end

--- The card a card command acts on: the one in the card editor, or the one under the cursor in a
--- card list; cb(card, label). Anywhere else the card list opens, so the user can pick with its keys.
local function card_here(cb)
  local ok, info = pcall(vim.api.nvim_buf_get_var, 0, 'imaginai_card')
  if ok then
    cb(info, info.owner)
    return
  end
  for _, lst in pairs(list.lists) do
    if lst.buf == vim.api.nvim_get_current_buf() and lst.owner then
      local card = list.entry_at_cursor(lst)
      if card then
        cb(card, lst.label)
      else
        ui.notify('put the cursor on a card first', WARN)
      end
      return
    end
  end
  M.card()
  ui.notify('which card? put the cursor on it and press y to duplicate, d to delete', WARN)
end

--- :ImaginAI card [new|delete|duplicate]
function M.card_command(args)
  local sub, rest = vim.trim(args or ''):match('^(%S*)%s*(.-)$')
  if sub == '' then
    M.card()
  elseif sub == 'new' then
    card_owner(function(owner, label)
      M.card_new(owner, label, rest)
    end)
  elseif sub == 'delete' then
    card_here(function(card, label)
      M.delete('card', card, label)
    end)
  elseif sub == 'duplicate' then
    card_here(function(card, label)
      M.duplicate('card', card, label)
    end)
  else
    ui.notify('unknown card command ' .. quote(sub) .. ': use new, delete or duplicate (or none for the list)', ERROR)
  end
end

function M.card_new(owner, label, name)
  local function create(n)
    if not n or vim.trim(n) == '' then
      return
    end
    local params = vim.tbl_extend('force', owner, { card = { name = vim.trim(n), type = 'other' } })
    M.request('card/create', params, function(card)
      ui.notify('created card ' .. quote(card.name) .. ' in ' .. label)
      edit_card(card, label)
    end)
  end
  if name and vim.trim(name) ~= '' then
    create(name)
  else
    vim.ui.input({ prompt = 'Name of the new card (in ' .. label .. '): ' }, create)
  end
end

M.scenario_fields = {
  'name', 'instructions', 'plotEssentials', 'authorsNotes', 'openingScene', 'playerDescription', 'tags', 'visibility',
}
M.adventure_fields = {
  'name', 'instructions', 'plotEssentials', 'authorsNotes', 'openingScene', 'playerDescription', 'tags',
}

--- Edits one text field of a scenario or an adventure (kind) in a scratch buffer; :w saves it.
function M.edit_text_field(kind, id, field)
  M.request(kind .. '/get', { id = id }, function(obj)
    local value = obj[field]
    if field == 'tags' then
      value = table.concat(value, ', ')
    end
    ui.scratch('imaginai://' .. kind .. '/' .. id .. '/' .. field, ui.split_lines(value), function(lines, done)
      local text = table.concat(lines, '\n')
      local v = text
      if field == 'tags' then
        v = vim.split((text:gsub('\n', ',')), ',', { plain = true })
      elseif field == 'name' or field == 'visibility' then
        v = vim.trim(text:gsub('\n', ' '))
      end
      M.request(kind .. '/update', { id = id, changes = { [field] = v } }, function(updated)
        done(true)
        ui.notify(field .. ' of ' .. kind .. ' ' .. quote(updated.name) .. ' saved')
      end)
    end, { filetype = 'markdown' })
  end)
end

--- Edits one text field of the current scenario.
function M.edit_scenario(field)
  if not vim.tbl_contains(M.scenario_fields, field or '') then
    ui.notify('which field? ' .. table.concat(M.scenario_fields, ', '), WARN)
    return
  end
  with_scenario('Scenario to edit', function(id)
    M.edit_text_field('scenario', id, field)
  end)
end

---------------------------------------------------------------------------------------------------
-- Creating, renaming, duplicating and deleting scenarios, adventures and cards

--- Asks before deleting; the question names what goes. Returns true for yes.
function M.confirm(question)
  return vim.fn.confirm(question, '&Delete\n&Cancel', 2) == 1
end

function M.scenario_new(name)
  local function create(n)
    if not n or vim.trim(n) == '' then
      return
    end
    M.request('scenario/create', { scenario = { name = vim.trim(n) } }, function(scn)
      if not M.current_adventure() then
        M.scenario_id = scn.id
      end
      ui.notify('created scenario ' .. quote(scn.name) .. ' (:ImaginAI scenarios: e edits its fields, c its cards)')
      list.refresh_all()
    end)
  end
  if name and vim.trim(name) ~= '' then
    create(name)
  else
    vim.ui.input({ prompt = 'Name of the new scenario: ' }, create)
  end
end

--- Renames a scenario or an adventure (obj has id and name); new_name asked for when not given.
function M.rename(kind, obj, new_name)
  local function apply(n)
    if not n then
      return
    end
    M.request(kind .. '/update', { id = obj.id, changes = { name = vim.trim(n) } }, function(updated)
      ui.notify('renamed ' .. kind .. ' ' .. quote(obj.name) .. ' to ' .. quote(updated.name))
      if kind == 'adventure' then
        local st = story.get(updated.id)
        if st then
          story.set_adventure(st, updated)
        end
        if M.adventure and M.adventure.id == updated.id then
          M.adventure = updated
        end
      end
      list.refresh_all()
    end)
  end
  if new_name and vim.trim(new_name) ~= '' then
    apply(new_name)
  else
    vim.ui.input({ prompt = 'New name of ' .. kind .. ' ' .. quote(obj.name) .. ': ', default = obj.name }, apply)
  end
end

--- Duplicates a scenario, an adventure or a card (label: the card's owner, for messages).
function M.duplicate(kind, obj, label, new_name)
  local params = { id = obj.id }
  if kind ~= 'card' and new_name and vim.trim(new_name) ~= '' then
    params.name = vim.trim(new_name)
  end
  M.request(kind .. '/duplicate', params, function(copy)
    local where = label and (' in ' .. label) or ''
    ui.notify('duplicated ' .. kind .. ' ' .. quote(obj.name) .. where .. ' as ' .. quote(copy.name))
    list.refresh_all()
  end)
end

--- Deletes a scenario, an adventure or a card after asking; the question says what goes with it.
function M.delete(kind, obj, label)
  local what = kind .. ' ' .. quote(obj.name)
  local question
  if kind == 'scenario' then
    local n = obj.cardCount or (obj.cards and #obj.cards) or 0
    question = 'Delete ' .. what .. ' and its ' .. n .. ' cards? Adventures started from it stay playable.'
  elseif kind == 'adventure' then
    question = 'Delete ' .. what .. ' with its ' .. (obj.turnCount or 0) .. ' turns and its cards?'
  else
    question = 'Delete card ' .. quote(obj.name) .. ' of ' .. label .. '?'
  end
  if not M.confirm(question) then
    ui.notify('nothing deleted')
    return
  end
  M.request(kind .. '/delete', { id = obj.id }, function()
    ui.notify('deleted ' .. what .. (label and (' of ' .. label) or ''))
    if kind == 'adventure' then
      M.adventure_gone(obj.id)
    elseif kind == 'scenario' and M.scenario_id == obj.id then
      M.scenario_id = nil
    elseif kind == 'card' then
      local buf = vim.fn.bufnr('imaginai://card/' .. obj.id)
      if buf ~= -1 then
        pcall(vim.api.nvim_buf_delete, buf, { force = true })
      end
    end
    list.refresh_all()
  end)
end

--- A story buffer whose adventure no longer exists says so (it keeps the text it showed).
function M.adventure_gone(id)
  local st = story.get(id)
  if st then
    st.deleted = true
    if st.pending then
      st.pending = nil
    end
    story.render(st)
  end
  if M.adventure and M.adventure.id == id then
    M.adventure = nil
  end
end

---------------------------------------------------------------------------------------------------
-- The adventure summary: what the story so far amounts to, sent before the history

--- Opens the playing adventure's summary in a buffer; :w stores it as a new version, but only if
--- the text changed, so a stray :w does not pile up identical versions.
function M.edit_summary()
  local st = need_adventure()
  if not st then
    return
  end
  M.request('adventure/get', { id = st.adventure.id }, function(adv)
    local original = adv.summary or ''
    ui.scratch('imaginai://summary/' .. adv.id, ui.split_lines(original), function(lines, done)
      local text = table.concat(lines, '\n')
      if text == original then
        done(true)
        ui.notify('summary of ' .. quote(adv.name) .. ' unchanged')
        return
      end
      M.request('adventure/update', { id = adv.id, changes = { summary = text } }, function(updated)
        original = updated.summary
        done(true)
        ui.notify('summary of ' .. quote(updated.name) .. ' saved')
      end)
    end, { filetype = 'markdown' })
  end)
end

function M.summary_version_label(v)
  local first = (v.text or ''):match('^[^\n]*')
  if first == '' then
    first = '(empty)'
  end
  return string.format('%s  %s  %s%s', v.source, v.createdAt, first, v.current and '  (current)' or '')
end

--- Lists the summary's versions; choosing one takes it back by storing its text as a new version.
function M.summary_versions()
  local st = need_adventure()
  if not st then
    return
  end
  local adv = st.adventure
  M.request('adventure/summaryVersions', { adventureId = adv.id }, function(res)
    if #res.versions == 0 then
      ui.notify(quote(adv.name) .. ' has no summary yet')
      return
    end
    vim.ui.select(res.versions, {
      prompt = 'Take back which summary?',
      format_item = M.summary_version_label,
    }, function(choice)
      if not choice then
        return
      end
      M.request('adventure/update', { id = adv.id, changes = { summary = choice.text } }, function(updated)
        ui.notify('summary of ' .. quote(updated.name) .. ' taken back to version ' .. choice.version)
      end)
    end)
  end)
end

---------------------------------------------------------------------------------------------------
-- Floats: context preview and usage

--- What brought a fired card into the context. Daemons before card recursion send only `key`.
function M.fired_by(c, fired)
  local key = c.key and ('key "' .. c.key .. '"') or nil
  if c.trigger == 'constant' then
    return 'constant'
  elseif c.trigger == 'sticky' then
    return 'sticky from an earlier turn' .. (key and (', ' .. key) or '')
  elseif c.trigger == 'card' then
    local by = c.firedBy and ('card ' .. c.firedBy) or "another card's text"
    for _, other in ipairs(fired) do
      if c.firedBy and other.cardId == c.firedBy then
        by = 'card "' .. other.name .. '"'
      end
    end
    return (key and (key .. ' in ') or 'by ') .. by
  end
  return key or 'no key'
end

local LEFT_OUT = {
  budget = 'over the card budget',
  group = 'another card of its group has a higher order',
  probability = 'its probability roll failed',
}

function M.left_out(c)
  if c.included ~= false then
    return ''
  end
  return '  NOT INCLUDED: ' .. (LEFT_OUT[c.leftOut] or c.leftOut or LEFT_OUT.budget)
end

function M.context_lines(p)
  local lines = {
    'Context preview — ' .. p.model,
    string.format('%d of %d tokens', p.totalTokens, p.budgetTokens),
    '',
    'Sections:',
  }
  for _, s in ipairs(p.sections) do
    table.insert(lines, string.format('  %-16s %6d tokens', s.name, s.tokens))
  end
  table.insert(lines, '')
  if #p.firedCards == 0 then
    table.insert(lines, 'Fired cards: none')
  else
    table.insert(lines, 'Fired cards:')
    for _, c in ipairs(p.firedCards) do
      table.insert(lines, '  ' .. c.name .. '  (' .. M.fired_by(c, p.firedCards) .. ')' .. M.left_out(c))
    end
  end
  local inc = p.includedTurns
  table.insert(lines, 'Included turns: ' .. (#inc > 0 and (inc[1] .. '–' .. inc[#inc]) or 'none'))
  local dropped = #p.droppedTurns > 0 and table.concat(p.droppedTurns, ', ') or 'none'
  if p.olderTurnsOmitted > 0 then
    dropped = dropped .. ' (and ' .. p.olderTurnsOmitted .. ' older turns omitted)'
  end
  table.insert(lines, 'Dropped turns: ' .. dropped)
  if p.recalledTurns then
    table.insert(lines, 'Recalled turns: ' .. #p.recalledTurns)
  end
  for _, s in ipairs(p.sections) do
    table.insert(lines, '')
    table.insert(lines, '── ' .. s.name .. ' (' .. s.tokens .. ' tokens) ──')
    vim.list_extend(lines, ui.split_lines(s.text))
  end
  return lines
end

function M.context(text)
  local st = need_adventure()
  if not st then
    return
  end
  local params = { adventureId = st.adventure.id }
  if text and vim.trim(text) ~= '' then
    params.action, params.text = 'do', text
  end
  M.request('story/preview', params, function(p)
    ui.float(M.context_lines(p))
  end)
end

function M.usage_lines(u)
  local t = u.totals
  local lines = {
    'Usage — ' .. t.turns .. ' generated turns',
    string.format('prompt %d   output %d   thinking %d tokens', t.promptTokens, t.outputTokens, t.thinkingTokens),
    '',
  }
  for _, e in ipairs(u.turns) do
    local us = e.usage
    table.insert(lines, string.format('  turn %-4d prompt %6d  output %5d  thinking %4d  %s  %d ms  (%s)', e.index,
      us.promptTokens, us.outputTokens, us.thinkingTokens, us.model, us.latencyMs, us.source))
  end
  return lines
end

function M.usage()
  local st = need_adventure()
  if not st then
    return
  end
  M.request('usage/get', { adventureId = st.adventure.id }, function(u)
    ui.float(M.usage_lines(u))
  end)
end

---------------------------------------------------------------------------------------------------
-- Import and export

local function parse_io_args(args)
  local target, format, rest = 'scenario', nil, {}
  for i, w in ipairs(vim.split(vim.trim(args or ''), '%s+')) do
    if i == 1 and (w == 'scenario' or w == 'cards') then
      target = w
    elseif w:match('^format=') then
      format = w:sub(8)
    elseif w ~= '' then
      table.insert(rest, w)
    end
  end
  local path = table.concat(rest, ' ')
  return target, format, path ~= '' and vim.fn.fnamemodify(vim.fn.expand(path), ':p') or nil
end

-- What an import left out or could not keep as written, for the message after it (first of each).
local function import_notes(res)
  local parts = {}
  if res.skipped and #res.skipped > 0 then
    table.insert(parts, 'skipped ' .. #res.skipped .. ': ' .. res.skipped[1].reason)
  end
  if res.warnings and #res.warnings > 0 then
    local count = #res.warnings == 1 and '1 warning' or (#res.warnings .. ' warnings')
    table.insert(parts, count .. ': ' .. res.warnings[1].message)
  end
  return #parts > 0 and ('; ' .. table.concat(parts, '; ')) or ''
end

function M.import(args)
  local target, format, path = parse_io_args(args)
  if not path then
    ui.notify('usage: :ImaginAI import [scenario|cards] [format=NAME] {path}', WARN)
    return
  end
  local f = io.open(path, 'rb')
  if not f then
    ui.notify('cannot read ' .. path, ERROR)
    return
  end
  local text = f:read('*a')
  f:close()
  if target == 'scenario' then
    -- The import does not become the scenario later commands act on: those stay on the one played.
    M.request('scenario/import', { data = text, format = format, fileName = path }, function(scn)
      ui.notify('imported scenario ' .. quote(scn.name) .. ' with ' .. #scn.cards .. ' cards' .. import_notes(scn)
        .. ' (play it: :ImaginAI scenarios)')
      list.refresh_all()
      fire('ImaginAIImported')
    end)
  else
    card_owner(function(owner, label)
      local params = vim.tbl_extend('force', owner, { data = text, format = format })
      M.request('cards/import', params, function(res)
        ui.notify('imported ' .. res.imported .. ' cards (' .. res.format .. ') into ' .. label .. import_notes(res))
        list.refresh_all()
        fire('ImaginAIImported')
      end)
    end)
  end
end

local function write_json(path, data)
  local f, err = io.open(path, 'wb')
  if not f then
    ui.notify('cannot write ' .. path .. ': ' .. tostring(err), ERROR)
    return false
  end
  f:write(ui.json_pretty(data) .. '\n')
  f:close()
  return true
end

function M.export(args)
  local target, format, path = parse_io_args(args)
  if not path then
    ui.notify('usage: :ImaginAI export [scenario|cards] [format=NAME] {path}', WARN)
    return
  end
  local function done(what)
    return function(res)
      if write_json(path, res.data) then
        ui.notify('exported ' .. what .. ' (' .. res.format .. ') to ' .. path)
        fire('ImaginAIExported')
      end
    end
  end
  if target == 'scenario' then
    with_scenario_obj('Scenario to export', function(scn)
      M.request('scenario/export', { id = scn.id, format = format }, done('scenario ' .. quote(scn.name)), nil, { raw = true })
    end)
  else
    card_owner(function(owner, label)
      local params = vim.tbl_extend('force', owner, { format = format or 'imaginai' })
      M.request('cards/export', params, done('the cards of ' .. label), nil, { raw = true })
    end)
  end
end

---------------------------------------------------------------------------------------------------
-- Turns: delete, and the versions a retry leaves (browsable like swipes)

--- The turn a turn command acts on: under the cursor in the story buffer, else the latest one.
--- want_ai: the latest ai turn at or before that point (versions belong to ai turns).
local function turn_here(st, want_ai)
  local turn
  if vim.api.nvim_get_current_buf() == st.buf then
    turn = story.turn_at(st, vim.api.nvim_win_get_cursor(0)[1])
  end
  turn = turn or st.turns[#st.turns]
  if want_ai and turn and turn.role ~= 'ai' then
    local best
    for _, t in ipairs(st.turns) do
      if t.role == 'ai' and t.index <= turn.index then
        best = t
      end
    end
    turn = best
  end
  return turn
end

local function excerpt_of(text, n)
  local one = (text or ''):gsub('%s+', ' ')
  if vim.fn.strchars(one) > n then
    one = vim.fn.strcharpart(one, 0, n) .. '…'
  end
  return one
end

function M.turn_delete()
  local st = need_adventure()
  if not st then
    return
  end
  if st.pending then
    ui.notify('the story is being written: wait or :ImaginAI cancel', WARN)
    return
  end
  local turn = turn_here(st)
  if not turn then
    ui.notify(quote(st.adventure.name) .. ' has no turns', WARN)
    return
  end
  local who = turn.role == 'player' and ('player ' .. (turn.action or '')) or turn.role
  if not M.confirm('Delete turn ' .. turn.index .. ' (' .. who .. ': “' .. excerpt_of(turn.text, 50) .. '”) of adventure '
      .. quote(st.adventure.name) .. '?') then
    ui.notify('nothing deleted')
    return
  end
  M.request('turn/delete', { id = turn.id }, function()
    ui.notify('deleted turn ' .. turn.index .. ' of ' .. quote(st.adventure.name))
    M.reload(st)
  end)
end

function M.version_label(v, n)
  return string.format('version %d/%d%s  %s  %s', v.version + 1, n, v.current and ' (current)' or '',
    (v.createdAt or ''):sub(1, 19), excerpt_of(v.text, 60))
end

-- Shows the chosen version in the buffer and says which one it is ("version 2/3").
local function use_version(st, turn, versions, v)
  M.request('turn/useVersion', { id = turn.id, version = v.version }, function(updated)
    story.upsert(st, updated)
    local pos = 0
    for i, x in ipairs(versions) do
      if x.version == v.version then
        pos = i
      end
    end
    st.version_marks = st.version_marks or {}
    st.version_marks[turn.id] = string.format('version %d/%d', pos, #versions)
    if not st.pending then
      story.render(st)
    end
    ui.notify('turn ' .. updated.index .. ': version ' .. pos .. '/' .. #versions)
  end)
end

--- :ImaginAI versions [next|prev]: pick a version of the ai turn under the cursor (or the latest),
--- or step to the next or previous one.
function M.versions(step)
  local st = need_adventure()
  if not st then
    return
  end
  if st.pending then
    ui.notify('the story is being written: wait or :ImaginAI cancel', WARN)
    return
  end
  local turn = turn_here(st, true)
  if not turn then
    ui.notify(quote(st.adventure.name) .. ' has no storyteller turn yet', WARN)
    return
  end
  M.request('turn/versions', { id = turn.id }, function(res)
    local versions = res.versions
    local cur = 1
    for i, v in ipairs(versions) do
      if v.current then
        cur = i
      end
    end
    if step == 'next' or step == 'prev' then
      local to = cur + (step == 'next' and 1 or -1)
      if #versions == 1 then
        ui.notify('turn ' .. turn.index .. ' has one version (R retries it for another)')
      elseif to < 1 or to > #versions then
        ui.notify('turn ' .. turn.index .. ': version ' .. cur .. '/' .. #versions .. ' is the '
          .. (to < 1 and 'first' or 'last'))
      else
        use_version(st, turn, versions, versions[to])
      end
      return
    end
    vim.ui.select(versions, {
      prompt = 'Pick a version of turn ' .. turn.index .. ' of ' .. quote(st.adventure.name),
      format_item = function(v)
        return M.version_label(v, #versions)
      end,
    }, function(choice)
      if choice then
        use_version(st, turn, versions, choice)
      end
    end)
  end)
end

---------------------------------------------------------------------------------------------------
-- Adventure management: rename, duplicate, delete, restart, its own copy of the text fields

function M.restart()
  local st = need_adventure()
  if not st then
    return
  end
  if st.pending then
    ui.notify('the story is being written: wait or :ImaginAI cancel', WARN)
    return
  end
  local adv = st.adventure
  M.request('turn/list', { adventureId = adv.id }, function(res)
    local n = #res.turns
    if n > 0 and not M.confirm('Restart ' .. quote(adv.name) .. ': delete its ' .. n
        .. ' turns and begin again from the opening scene? (:ImaginAI adventure duplicate keeps a copy)') then
      ui.notify('nothing deleted')
      return
    end
    -- The daemon restarts only an adventure without turns; the newest go first so no index moves.
    local i = n
    local function next_turn()
      if i == 0 then
        M.request('adventure/restart', { id = adv.id }, function(updated)
          st.adventure = updated
          ui.notify('restarted ' .. quote(updated.name) .. ' from its opening scene')
          M.reload(st)
        end)
        return
      end
      local turn = res.turns[i]
      i = i - 1
      M.request('turn/delete', { id = turn.id }, next_turn, function(err)
        M.report(err, 'restart')
        M.reload(st)
      end)
    end
    next_turn()
  end)
end

--- :ImaginAI adventure {rename [name]|duplicate [name]|delete|restart|FIELD}
function M.adventure_command(args)
  local sub, rest = vim.trim(args or ''):match('^(%S*)%s*(.-)$')
  if sub == 'restart' then
    M.restart()
    return
  end
  local st = need_adventure()
  if not st then
    return
  end
  local adv = st.adventure
  if sub == 'rename' then
    M.rename('adventure', adv, rest)
  elseif sub == 'duplicate' then
    M.duplicate('adventure', adv, nil, rest)
  elseif sub == 'delete' then
    M.request('adventure/get', { id = adv.id }, function(full)
      M.delete('adventure', full)
    end)
  elseif vim.tbl_contains(M.adventure_fields, sub) then
    M.edit_text_field('adventure', adv.id, sub)
  else
    ui.notify('adventure what? rename, duplicate, delete, restart, or a field: '
      .. table.concat(M.adventure_fields, ', '), WARN)
  end
end

--- :ImaginAI scenario {new [name]|rename [name]|duplicate [name]|delete|FIELD}
function M.scenario_command(args)
  local sub, rest = vim.trim(args or ''):match('^(%S*)%s*(.-)$')
  if sub == 'new' then
    M.scenario_new(rest)
  elseif sub == 'rename' or sub == 'duplicate' or sub == 'delete' then
    with_scenario_obj('Scenario to ' .. sub, function(scn)
      if sub == 'rename' then
        M.rename('scenario', scn, rest)
      elseif sub == 'duplicate' then
        M.duplicate('scenario', scn, nil, rest)
      else
        M.delete('scenario', scn)
      end
    end)
  else
    M.edit_scenario(sub)
  end
end

---------------------------------------------------------------------------------------------------
-- Model and settings: applied at once with settings/update (no restart)

function M.pick_model()
  M.request('settings/get', {}, function(settings)
    M.request('models/list', {}, function(res)
      vim.ui.select(res.models, {
        prompt = 'Model (now ' .. settings.model .. ')',
        format_item = function(m)
          local line = m.id .. (m.id == settings.model and '  (current)' or '') .. '  ' .. excerpt_of(m.name, 50)
            .. '  ' .. m.contextTokens .. ' tokens'
          if not m.available then
            line = line .. '  NOT AVAILABLE: ' .. (m.reason or 'unknown reason')
          end
          return line
        end,
      }, function(choice)
        if not choice then
          return
        end
        M.request('settings/update', { changes = { model = choice.id } }, function(updated)
          local note = choice.available and '' or (' (not available now: ' .. (choice.reason or '?') .. ')')
          ui.notify('model: ' .. updated.model .. note .. '; the next generation uses it')
        end)
      end)
    end)
  end)
end

-- Settings whose values are one of a few words.
M.setting_choices = {
  responseHandling = { 'truncate', 'summarize' },
}

--- Converts what was typed for setting `key` (current value `current`) to its JSON value,
--- or returns nil and why not.
function M.setting_value(key, current, text)
  local v = vim.trim(text)
  if key == 'contextTokens' then
    if v == '' or v == 'null' then
      return vim.NIL
    end
  end
  if type(current) == 'number' or key == 'contextTokens' then
    local n = v:match('^[+-]?%d+$') and tonumber(v)
    if not n then
      return nil, key .. ' must be a whole number' .. (key == 'contextTokens' and ', or empty for the model\'s whole window' or '')
        .. '; got "' .. v .. '"'
    end
    return n
  end
  return v
end

local function apply_setting(key, value)
  M.request('settings/update', { changes = { [key] = value } }, function(updated)
    local shown = updated[key]
    if shown == nil then
      shown = 'null'
    end
    ui.notify('setting ' .. key .. ' = ' .. excerpt_of(tostring(shown), 60))
  end, function(err)
    -- The daemon names the setting and its range; the value typed stays in the message.
    ui.notify('setting ' .. key .. ' not changed: ' .. (err.message or '?'), ERROR)
  end)
end

--- Edits one setting: a choice for booleans and word lists, a buffer for the long text, else a prompt.
function M.edit_setting(key, settings)
  local current = settings[key]
  if key == 'model' then
    M.pick_model()
  elseif type(current) == 'boolean' or M.setting_choices[key] then
    local options = M.setting_choices[key] or { true, false }
    vim.ui.select(options, {
      prompt = key .. ' (now ' .. tostring(current) .. ')',
      format_item = tostring,
    }, function(choice)
      if choice ~= nil then
        apply_setting(key, choice)
      end
    end)
  elseif key == 'baseSystemInstruction' then
    -- a long text with line breaks: edited in a buffer so nothing is cut at a newline
    ui.scratch('imaginai://settings/' .. key, ui.split_lines(current), function(lines, done)
      M.request('settings/update', { changes = { [key] = table.concat(lines, '\n') } }, function()
        done(true)
        ui.notify('setting ' .. key .. ' saved')
      end)
    end, { filetype = 'markdown' })
  else
    local shown = current == nil and '' or tostring(current)
    vim.ui.input({ prompt = key .. ' = ', default = shown }, function(text)
      if text == nil then
        return
      end
      local value, why = M.setting_value(key, current, text)
      if value == nil then
        ui.notify('setting ' .. key .. ' not changed: ' .. why, ERROR)
        return
      end
      apply_setting(key, value)
    end)
  end
end

--- :ImaginAI settings [KEY]: pick a setting (or name it) and change it.
function M.settings(key)
  key = vim.trim(key or '')
  M.request('settings/get', {}, function(settings)
    if key ~= '' then
      if settings[key] == nil and key ~= 'contextTokens' then
        local keys = vim.tbl_keys(settings)
        table.sort(keys)
        ui.notify('no setting ' .. quote(key) .. '; the settings are ' .. table.concat(keys, ', '), ERROR)
        return
      end
      M.edit_setting(key, settings)
      return
    end
    local keys = vim.tbl_keys(settings)
    if not vim.tbl_contains(keys, 'contextTokens') then
      table.insert(keys, 'contextTokens') -- null (the model's whole window) leaves it out of the result
    end
    table.sort(keys)
    vim.ui.select(keys, {
      prompt = 'Setting',
      format_item = function(k)
        local v = settings[k]
        if v == nil then
          return k .. ' = null (the model\'s whole window)'
        end
        return k .. ' = ' .. excerpt_of(tostring(v), 60)
      end,
    }, function(choice)
      if choice then
        M.edit_setting(choice, settings)
      end
    end)
  end)
end

---------------------------------------------------------------------------------------------------
-- Live sync: library/changed from the daemon when another process changed the database

-- A burst of notifications (an import: hundreds) refreshes once: 50 ms after the last one, or at the
-- latest 250 ms after the first, so a steady stream of changes still shows.
M.sync_delay_ms = 50
M.sync_max_delay_ms = 250
local sync = { turns = {}, adventures = {}, deleted = {}, lists = false, first = nil }
local sync_timer

local function flush_sync()
  sync.first = nil
  local turns, adventures, deleted, lists = sync.turns, sync.adventures, sync.deleted, sync.lists
  sync.turns, sync.adventures, sync.deleted, sync.lists = {}, {}, {}, false
  for id in pairs(deleted) do
    M.adventure_gone(id)
  end
  for id in pairs(adventures) do
    local st = story.get(id)
    if st and not deleted[id] then
      M.request('adventure/get', { id = id }, function(adv)
        story.set_adventure(st, adv)
        if M.adventure and M.adventure.id == id then
          M.adventure = adv
        end
      end, function(err)
        if err.code == -31001 then
          M.adventure_gone(id)
        end
      end)
    end
  end
  for id in pairs(turns) do
    local st = story.get(id)
    if st and not st.deleted and not deleted[id] then
      if st.pending then
        st.stale = true -- reloaded when our own generation ends, so the stream is not overwritten
      else
        M.reload(st)
      end
    end
  end
  if lists then
    list.refresh_all()
  end
  fire('ImaginAISynced')
end

--- Handles one library/changed notification: notes what to refresh, and refreshes once per burst.
function M.library_changed(p)
  if p.kind == 'turn' and p.adventureId then
    sync.turns[p.adventureId] = true
  elseif p.kind == 'adventure' then
    if p.change == 'deleted' then
      sync.deleted[p.id] = true
    else
      sync.adventures[p.id] = true
      sync.turns[p.id] = true
    end
  end
  if p.kind == 'card' and p.change == 'deleted' then
    local buf = vim.fn.bufnr('imaginai://card/' .. p.id)
    if buf ~= -1 then
      -- the editor stays open: what was typed in it is not thrown away
      local ok, info = pcall(vim.api.nvim_buf_get_var, buf, 'imaginai_card')
      ui.notify('card ' .. quote(ok and info.name or p.id) .. ' was deleted elsewhere; its editor stays open, '
        .. 'but :w cannot save it (copy what you need)', WARN)
    end
  end
  if p.kind == 'scenario' and p.change == 'deleted' and M.scenario_id == p.id then
    M.scenario_id = nil
  end
  if p.kind ~= 'settings' then
    sync.lists = true
  end
  local now = vim.loop.now()
  sync.first = sync.first or now
  local delay = math.min(M.sync_delay_ms, math.max(0, sync.first + M.sync_max_delay_ms - now))
  sync_timer = sync_timer or vim.loop.new_timer()
  sync_timer:stop()
  sync_timer:start(delay, 0, vim.schedule_wrap(flush_sync))
end

---------------------------------------------------------------------------------------------------
-- :ImaginAI

M.subcommands = {
  scenarios = function()
    M.scenario_list()
  end,
  adventures = function()
    M.adventure_list()
  end,
  open = function()
    if M.adventure then
      M.open_adventure(M.adventure)
    else
      M.adventure_list()
    end
  end,
  ['do'] = function(args)
    M.generate('act', 'do', args)
  end,
  say = function(args)
    M.generate('act', 'say', args)
  end,
  story = function(args)
    M.generate('act', 'story', args)
  end,
  continue = function()
    M.generate('continue')
  end,
  retry = function()
    M.generate('retry')
  end,
  undo = function()
    history_op('story/undo', 'undid')
  end,
  redo = function()
    history_op('story/redo', 'redid')
  end,
  cancel = function()
    M.cancel()
  end,
  edit = function()
    M.edit_turn()
  end,
  versions = function(args)
    M.versions(vim.trim(args or ''))
  end,
  turn = function(args)
    local sub = vim.trim(args or '')
    if sub == 'delete' then
      M.turn_delete()
    elseif sub == 'edit' then
      M.edit_turn()
    elseif sub == 'versions' then
      M.versions()
    else
      ui.notify('turn what? delete, edit or versions (the turn under the cursor)', WARN)
    end
  end,
  context = function(args)
    M.context(args)
  end,
  usage = function()
    M.usage()
  end,
  card = function(args)
    M.card_command(args)
  end,
  summary = function(args)
    if vim.trim(args or '') == 'versions' then
      M.summary_versions()
    else
      M.edit_summary()
    end
  end,
  scenario = function(args)
    M.scenario_command(args)
  end,
  adventure = function(args)
    M.adventure_command(args)
  end,
  model = function()
    M.pick_model()
  end,
  settings = function(args)
    M.settings(args)
  end,
  import = function(args)
    M.import(args)
  end,
  export = function(args)
    M.export(args)
  end,
  stop = function()
    M.stop()
  end,
}

function M.command(line)
  local sub, args = vim.trim(line or ''):match('^(%S+)%s*(.*)$')
  if not sub then
    ui.notify('usage: :ImaginAI {' .. table.concat(M.subcommand_names(), '|') .. '}', WARN)
    return
  end
  local fn = M.subcommands[sub]
  if not fn then
    ui.notify('unknown subcommand "' .. sub .. '" (see :help imaginai)', ERROR)
    return
  end
  local ok, err = pcall(fn, args)
  if not ok then
    M.report(err, sub)
  end
end

function M.subcommand_names()
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return names
end

-- The words after a subcommand, for completion.
local second_words = {
  scenario = function()
    return vim.list_extend({ 'new', 'rename', 'duplicate', 'delete' }, M.scenario_fields)
  end,
  adventure = function()
    return vim.list_extend({ 'rename', 'duplicate', 'delete', 'restart' }, M.adventure_fields)
  end,
  card = function()
    return { 'new', 'duplicate', 'delete' }
  end,
  turn = function()
    return { 'delete', 'edit', 'versions' }
  end,
  versions = function()
    return { 'next', 'prev' }
  end,
  summary = function()
    return { 'versions' }
  end,
  settings = function()
    return { 'model', 'responseHandling', 'allowThinking', 'maxOutputTokens', 'baseSystemInstruction', 'scanDepth',
      'recursionDepth', 'storytellerDelayMs', 'storytellerSeed', 'contextTokens', 'autoSummary', 'summaryEveryTurns' }
  end,
}

function M.complete(arglead, cmdline)
  local words = vim.split((cmdline:gsub('^%s*%S+%s*', '')), '%s+')
  local function filter(items)
    return vim.tbl_filter(function(x)
      return x:sub(1, #arglead) == arglead
    end, items)
  end
  if #words <= 1 then
    return filter(M.subcommand_names())
  end
  local sub = words[1]
  if second_words[sub] and #words == 2 then
    return filter(second_words[sub]())
  end
  if sub == 'import' or sub == 'export' then
    local items = {}
    if #words == 2 then
      items = { 'scenario', 'cards' }
    end
    vim.list_extend(items, vim.fn.getcompletion(arglead, 'file'))
    return filter(items)
  end
  return {}
end

function M.setup(opts)
  M.config = vim.tbl_extend('force', M.config, opts or {})
  M._setup_done = true
  local group = vim.api.nvim_create_augroup('imaginai', { clear = true })
  vim.api.nvim_create_autocmd('VimLeavePre', {
    group = group,
    callback = function()
      pcall(M.stop)
    end,
  })
end

return M
