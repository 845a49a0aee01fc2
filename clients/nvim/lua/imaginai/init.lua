-- imaginai.nvim: a thin Neovim client for the imaginai daemon. All story logic stays in the daemon;
-- this module spawns it, sends requests and shows the answers.
local rpc = require('imaginai.rpc')
local story = require('imaginai.story')
local ui = require('imaginai.ui')
local card_form = require('imaginai.card')

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
M.adventure = nil -- the current Adventure
M.scenario_id = nil -- the current scenario (picked, or the current adventure's)

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

local function on_notification(method, params)
  if method ~= 'story/chunk' then
    return
  end
  local st = story.get(params.adventureId)
  local pending = st and st.pending
  if not pending or pending.id ~= params.requestId then
    return
  end
  pending.chunks = (pending.chunks or 0) + 1
  story.append_chunk(st, params.text or '')
  fire('ImaginAIChunk')
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
  end)
end

--- Makes an adventure current and shows its story buffer.
function M.open_adventure(adventure, after)
  M.adventure = adventure
  M.scenario_id = adventure.scenarioId or M.scenario_id
  local st = story.buffer(adventure, story_maps)
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
    ui.notify('started "' .. adv.name .. '"')
    M.open_adventure(adv, after)
  end)
end

local function need_adventure()
  if not M.adventure then
    ui.notify('no adventure is open: use :ImaginAI scenarios or :ImaginAI adventures', WARN)
    return nil
  end
  return story.buffer(M.adventure, story_maps)
end

local function pick_scenario(prompt, cb)
  M.request('scenario/list', { limit = 500 }, function(res)
    if #res.scenarios == 0 then
      ui.notify('there are no scenarios (try :ImaginAI import FILE)', WARN)
      return
    end
    vim.ui.select(res.scenarios, {
      prompt = prompt,
      format_item = function(s)
        local tags = #s.tags > 0 and ('  [' .. table.concat(s.tags, ', ') .. ']') or ''
        return s.name .. '  (' .. s.cardCount .. ' cards)' .. tags
      end,
    }, function(choice)
      if choice then
        cb(choice)
      end
    end)
  end)
end

function M.pick_scenario_then_play()
  pick_scenario('Scenario', function(scn)
    M.scenario_id = scn.id
    M.request('adventure/list', { limit = 500 }, function(res)
      local items = { { new = true } }
      for _, a in ipairs(res.adventures) do
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
          return 'Resume "' .. a.name .. '"  (' .. a.turnCount .. ' turns, ' .. a.lastPlayedAt:sub(1, 16) .. ')'
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
  end)
end

function M.pick_adventure()
  M.request('adventure/list', { limit = 500 }, function(res)
    if #res.adventures == 0 then
      ui.notify('no adventures yet: use :ImaginAI scenarios to start one', WARN)
      return
    end
    vim.ui.select(res.adventures, {
      prompt = 'Adventure',
      format_item = function(a)
        local excerpt = (a.excerpt or ''):gsub('\n', ' ')
        if #excerpt > 40 then
          excerpt = excerpt:sub(1, 40) .. '…'
        end
        return a.name .. '  (' .. a.turnCount .. ' turns)  ' .. excerpt
      end,
    }, function(choice)
      if choice then
        M.resume(choice.id)
      end
    end)
  end)
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
      fire('ImaginAIDone')
      return
    end
    story.upsert(st, res.playerTurn)
    story.upsert(st, res.aiTurn)
    story.render(st)
    fire('ImaginAIDone')
  end)
  story.render(st)
end

function M.cancel()
  local st = M.adventure and story.get(M.adventure.id)
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
    ui.notify(verb .. ' ' .. n .. (n == 1 and ' turn' or ' turns'))
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
      ui.notify('card "' .. card.name .. '": nothing changed')
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
      ui.notify('card "' .. updated.name .. '" saved (' .. owner_label .. '): ' .. table.concat(names, ', '))
    end)
  end, { filetype = 'imaginaicard' })
  highlight_card(buf, form)
end

--- Picks a card of the current adventure or of its (or the current) scenario and edits it.
function M.card()
  local items = {}
  local function choose()
    if #items == 0 then
      ui.notify('no cards to edit', WARN)
      return
    end
    vim.ui.select(items, {
      prompt = 'Card',
      format_item = function(it)
        return '[' .. it.owner .. '] ' .. card_form.label(it.card)
      end,
    }, function(choice)
      if choice then
        edit_card(choice.card, choice.owner)
      end
    end)
  end
  local function add_scenario(id, after)
    M.request('scenario/get', { id = id }, function(scn)
      for _, card in ipairs(scn.cards) do
        table.insert(items, { owner = 'scenario', card = card })
      end
      after()
    end, function(err)
      if err.code ~= -31001 then
        M.report(err, 'scenario/get')
      end
      after()
    end)
  end
  if M.adventure then
    M.request('adventure/get', { id = M.adventure.id }, function(adv)
      for _, card in ipairs(adv.cards) do
        table.insert(items, { owner = 'adventure', card = card })
      end
      if adv.scenarioId then
        add_scenario(adv.scenarioId, choose)
      else
        choose()
      end
    end)
  elseif M.scenario_id then
    add_scenario(M.scenario_id, choose)
  else
    pick_scenario('Cards of which scenario?', function(scn)
      M.scenario_id = scn.id
      add_scenario(scn.id, choose)
    end)
  end
end

M.scenario_fields = {
  'name', 'instructions', 'plotEssentials', 'authorsNotes', 'openingScene', 'playerDescription', 'tags', 'visibility',
}

local function with_scenario(prompt, cb)
  local id = M.scenario_id or (M.adventure and M.adventure.scenarioId)
  if id then
    cb(id)
  else
    pick_scenario(prompt, function(scn)
      M.scenario_id = scn.id
      cb(scn.id)
    end)
  end
end

--- Edits one text field of the current scenario.
function M.edit_scenario(field)
  if not vim.tbl_contains(M.scenario_fields, field or '') then
    ui.notify('which field? ' .. table.concat(M.scenario_fields, ', '), WARN)
    return
  end
  with_scenario('Scenario to edit', function(id)
    M.request('scenario/get', { id = id }, function(scn)
      local value = scn[field]
      if field == 'tags' then
        value = table.concat(value, ', ')
      end
      ui.scratch('imaginai://scenario/' .. id .. '/' .. field, ui.split_lines(value), function(lines, done)
        local text = table.concat(lines, '\n')
        local v = text
        if field == 'tags' then
          v = vim.split((text:gsub('\n', ',')), ',', { plain = true })
        elseif field == 'name' or field == 'visibility' then
          v = vim.trim(text:gsub('\n', ' '))
        end
        M.request('scenario/update', { id = id, changes = { [field] = v } }, function(updated)
          done(true)
          ui.notify(field .. ' of "' .. updated.name .. '" saved')
        end)
      end, { filetype = 'markdown' })
    end)
  end)
end

---------------------------------------------------------------------------------------------------
-- The adventure summary: what the story so far amounts to, sent before the history

--- Opens the playing adventure's summary in a buffer; :w stores it as a new version, but only if
--- the text changed, so a stray :w does not pile up identical versions.
function M.edit_summary()
  if not need_adventure() then
    return
  end
  M.request('adventure/get', { id = M.adventure.id }, function(adv)
    local original = adv.summary or ''
    ui.scratch('imaginai://summary/' .. adv.id, ui.split_lines(original), function(lines, done)
      local text = table.concat(lines, '\n')
      if text == original then
        done(true)
        ui.notify('summary of "' .. adv.name .. '" unchanged')
        return
      end
      M.request('adventure/update', { id = adv.id, changes = { summary = text } }, function(updated)
        original = updated.summary
        done(true)
        ui.notify('summary of "' .. updated.name .. '" saved')
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
  if not need_adventure() then
    return
  end
  local adv = M.adventure
  M.request('adventure/summaryVersions', { adventureId = adv.id }, function(res)
    if #res.versions == 0 then
      ui.notify('"' .. adv.name .. '" has no summary yet')
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
        ui.notify('summary of "' .. updated.name .. '" taken back to version ' .. choice.version)
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

local function card_owner(cb)
  if M.adventure then
    cb({ adventureId = M.adventure.id }, 'adventure "' .. M.adventure.name .. '"')
  else
    with_scenario('Cards of which scenario?', function(id)
      cb({ scenarioId = id }, 'the scenario')
    end)
  end
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
    M.request('scenario/import', { data = text, format = format, fileName = path }, function(scn)
      M.scenario_id = scn.id
      ui.notify('imported scenario "' .. scn.name .. '" with ' .. #scn.cards .. ' cards' .. import_notes(scn))
      fire('ImaginAIImported')
    end)
  else
    card_owner(function(owner, label)
      local params = vim.tbl_extend('force', owner, { data = text, format = format })
      M.request('cards/import', params, function(res)
        ui.notify('imported ' .. res.imported .. ' cards (' .. res.format .. ') into ' .. label .. import_notes(res))
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
  local function done(res)
    if write_json(path, res.data) then
      ui.notify('exported ' .. target .. ' (' .. res.format .. ') to ' .. path)
      fire('ImaginAIExported')
    end
  end
  if target == 'scenario' then
    with_scenario('Scenario to export', function(id)
      M.request('scenario/export', { id = id, format = format }, done, nil, { raw = true })
    end)
  else
    card_owner(function(owner)
      local params = vim.tbl_extend('force', owner, { format = format or 'imaginai' })
      M.request('cards/export', params, done, nil, { raw = true })
    end)
  end
end

---------------------------------------------------------------------------------------------------
-- :ImaginAI

M.subcommands = {
  scenarios = function()
    M.pick_scenario_then_play()
  end,
  adventures = function()
    M.pick_adventure()
  end,
  open = function()
    if M.adventure then
      M.open_adventure(M.adventure)
    else
      M.pick_adventure()
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
  context = function(args)
    M.context(args)
  end,
  usage = function()
    M.usage()
  end,
  card = function()
    M.card()
  end,
  summary = function(args)
    if vim.trim(args or '') == 'versions' then
      M.summary_versions()
    else
      M.edit_summary()
    end
  end,
  scenario = function(args)
    M.edit_scenario(vim.trim(args or ''))
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

function M.complete(arglead, cmdline)
  local words = vim.split((cmdline:gsub('^%s*%S+%s*', '')), '%s+')
  local function filter(list)
    return vim.tbl_filter(function(x)
      return x:sub(1, #arglead) == arglead
    end, list)
  end
  if #words <= 1 then
    return filter(M.subcommand_names())
  end
  local sub = words[1]
  if sub == 'scenario' and #words == 2 then
    return filter(M.scenario_fields)
  end
  if sub == 'summary' and #words == 2 then
    return filter({ 'versions' })
  end
  if sub == 'import' or sub == 'export' then
    local list = {}
    if #words == 2 then
      list = { 'scenario', 'cards' }
    end
    vim.list_extend(list, vim.fn.getcompletion(arglead, 'file'))
    return filter(list)
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
