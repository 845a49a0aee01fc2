-- Drives the plugin in a headless Neovim against the real daemon ($IMAGINAI_BIN).
-- nvim --headless -u NONE -i NONE -n -c "set rtp+=clients/nvim" -c "luafile clients/nvim/tests/run.lua"
-- Prints one line per check, then "N passed, N failed"; exits non-zero (cquit) when a check failed.
local t0 = vim.loop.hrtime()
local bin = os.getenv('IMAGINAI_BIN') or 'imaginai'
local tmp = vim.fn.tempname()
vim.fn.mkdir(tmp, 'p')

local passed, failed = 0, {}
local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end
local function check(name, cond, detail)
  if cond then
    passed = passed + 1
    out('ok   ' .. name)
  else
    table.insert(failed, name)
    out('FAIL ' .. name .. (detail ~= nil and (': ' .. vim.inspect(detail)) or ''))
  end
  return cond
end
local function finish()
  local ms = (vim.loop.hrtime() - t0) / 1e6
  out(string.format('%d passed, %d failed', passed, #failed))
  out(string.format('nvim tests took %.1f s', ms / 1000))
  if #failed > 0 then
    out('failed: ' .. table.concat(failed, ', '))
    vim.cmd('cquit 1')
  else
    vim.cmd('qall!')
  end
end

-- A hard limit: a hung test must not hang CI.
vim.defer_fn(function()
  check('the whole run finished within 120 s', false)
  finish()
end, 120000)

local function wait(cond, ms)
  return vim.wait(ms or 10000, cond, 5)
end

-- Notifications are recorded, never shown.
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, { msg = tostring(msg), level = level })
end
local function notes_since(n)
  local list = {}
  for i = n + 1, #notes do
    table.insert(list, notes[i].msg)
  end
  return list
end
local function noted(n, pattern, level)
  for i = n + 1, #notes do
    if notes[i].msg:find(pattern) and (level == nil or notes[i].level == level) then
      return true
    end
  end
  return false
end

-- vim.ui.select picks through `chooser` (default: the first item).
local chooser
vim.ui.select = function(items, opts, on_choice)
  local i = chooser and chooser(items, opts) or 1
  vim.schedule(function()
    on_choice(items[i], i)
  end)
end

-- Types keys as a user would (mapped keys included), and runs them now.
local function press(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'mx', false)
end

-- Runs an Ex command; a Lua error escaping the plugin is a failure in itself.
local function cmd(c)
  local ok, err = pcall(vim.cmd, c)
  if not ok then
    check('no Lua error from :' .. c, ok, err)
  end
end

-- Every method the plugin sends through the rpc layer while the test drives it, to check at the end
-- that its commands reach every method of Protocol/openrpc.json. Requests the test makes itself (rq,
-- to set up or read back state) are not counted.
local sent_by_plugin, test_direct = {}, false
local rpc = require('imaginai.rpc')
local real_write = rpc.Client._write
rpc.Client._write = function(self, msg)
  if msg.method and not test_direct then
    sent_by_plugin[msg.method] = (sent_by_plugin[msg.method] or 0) + 1
  end
  return real_write(self, msg)
end

local function run()
  vim.cmd('runtime plugin/imaginai.lua')
  check(':ImaginAI is defined by plugin/imaginai.lua', vim.fn.exists(':ImaginAI') == 2)
  local im = require('imaginai')
  local story = require('imaginai.story')
  local listmod = require('imaginai.list')
  im.setup({ cmd = bin, db = ':memory:', settings = { storytellerDelayMs = 0 } })
  check('setup registers the VimLeavePre shutdown', #vim.api.nvim_get_autocmds({ group = 'imaginai', event = 'VimLeavePre' }) == 1)

  local function rq(method, params)
    test_direct = true
    local res, err = im.request_sync(method, params, 10000)
    test_direct = false
    if err then
      check(method .. ' answered', false, err)
    end
    return res
  end
  local function lines(buf)
    return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false)
  end
  local function text_of(buf)
    return table.concat(lines(buf), '\n')
  end
  local function turns()
    return rq('turn/list', { adventureId = im.adventure.id }).turns
  end
  local function has_line(buf, want)
    return vim.tbl_contains(lines(buf), want)
  end
  -- Waits for the list buffer `name` to be shown, loaded and current.
  local function open_list(name, min_entries)
    local ok_list = wait(function()
      local l = listmod.lists[name]
      return l and l.shown ~= nil and not l.loading and #l.entries >= (min_entries or 1) and vim.api.nvim_get_current_buf() == l.buf
    end)
    return ok_list and listmod.lists[name] or nil
  end
  -- Closes the list windows (each list opens a split; a headless screen has room for few).
  local function close_lists()
    for _, l in pairs(listmod.lists) do
      for _, w in ipairs(vim.api.nvim_list_wins()) do
        if vim.api.nvim_win_get_buf(w) == l.buf and #vim.api.nvim_list_wins() > 1 then
          vim.api.nvim_win_close(w, true)
        end
      end
    end
  end
  -- Puts the cursor on the list line of the entry with this id.
  local function cursor_to(lst, id)
    for i, e in ipairs(lst.entries) do
      if e.id == id then
        vim.api.nvim_win_set_cursor(0, { i + 2, 0 })
        return true
      end
    end
    error('no entry ' .. id .. ' in ' .. lst.name)
  end

  -- :help imaginai works from the shipped doc/tags; tags regenerated from doc/imaginai.txt in a temp dir
  -- must equal them, so a doc edit without `helptags` fails here.
  local doc_src = vim.api.nvim_get_runtime_file('doc/imaginai.txt', false)[1]
  local shipped_tags = vim.fn.fnamemodify(doc_src, ':h') .. '/tags'
  vim.fn.mkdir(tmp .. '/rt/doc', 'p')
  vim.fn.writefile(vim.fn.readfile(doc_src, 'b'), tmp .. '/rt/doc/imaginai.txt', 'b')
  local tags_ok, tags_err = pcall(vim.cmd, 'helptags ' .. tmp .. '/rt/doc')
  check('helptags accepts doc/imaginai.txt (no duplicate tags)', tags_ok, tags_err)
  check('doc/tags is shipped and matches the tags helptags makes (rebuild: helptags clients/nvim/doc)',
    vim.fn.filereadable(shipped_tags) == 1
    and vim.deep_equal(vim.fn.readfile(shipped_tags, 'b'), vim.fn.readfile(tmp .. '/rt/doc/tags', 'b')), shipped_tags)
  for _, topic in ipairs({ 'imaginai', ':ImaginAI', 'imaginai-card-format', ':ImaginAI-cancel', ':ImaginAI-versions',
    ':ImaginAI-model', ':ImaginAI-settings', 'imaginai-lists', 'imaginai-sync', 'imaginai-health' }) do
    local ok_help = pcall(vim.cmd, 'help ' .. topic)
    check(':help ' .. topic .. ' opens the shipped imaginai.txt', ok_help and vim.api.nvim_buf_get_name(0) == doc_src,
      vim.api.nvim_buf_get_name(0))
  end
  vim.cmd('helpclose')

  -- lazy.nvim ({ dir = '.../clients/nvim', opts = {} }) calls require(main).setup(opts), where main is the
  -- module named like the plugin or else the only top-level module under lua/; the plugin's name is
  -- the folder's, "nvim", so the plugin must have exactly one.
  local plugin_dir = vim.fn.fnamemodify(doc_src, ':h:h')
  local topmods = {}
  for _, path in ipairs(vim.fn.glob(plugin_dir .. '/lua/*', false, true)) do
    table.insert(topmods, (vim.fn.fnamemodify(path, ':t'):gsub('%.lua$', '')))
  end
  check('lua/ has one top-level module, imaginai, so lazy.nvim finds setup without `main`',
    vim.deep_equal(topmods, { 'imaginai' }), topmods)
  check('the options given to setup are the ones the first command uses', im.config.cmd == bin
    and im.config.db == ':memory:' and im.config.settings.storytellerDelayMs == 0, im.config)

  -- :checkhealth imaginai: executable, version, database, a daemon that answers
  vim.cmd('silent checkhealth imaginai')
  local health = text_of(0)
  check(':checkhealth imaginai finds the executable and its version', health:find('OK: found ' .. vim.fn.exepath(bin), 1, true)
    and health:find('OK: version %d'), health)
  check(':checkhealth imaginai names the database', health:find(':memory:', 1, true) ~= nil, health)
  check(':checkhealth imaginai starts a daemon that answers initialize', health:find('answers initialize: imaginai', 1, true)
    ~= nil, health)
  vim.cmd('tabclose')
  im.config.cmd = tmp .. '/no-imaginai-here'
  vim.cmd('silent checkhealth imaginai')
  health = text_of(0)
  check(':checkhealth imaginai says what to do when the executable is missing', health:find('ERROR: cannot find the executable', 1, true)
    and health:find("setup({ cmd = '/path/to/imaginai' })", 1, true), health)
  vim.cmd('tabclose')
  im.config.cmd = bin

  -- Completion
  local subs = im.complete('', 'ImaginAI ')
  check('completion lists subcommands', vim.tbl_contains(subs, 'do') and vim.tbl_contains(subs, 'scenarios')
    and vim.tbl_contains(subs, 'context'), subs)
  check('completion of scenario fields', vim.deep_equal(im.complete('plot', 'ImaginAI scenario plot'), { 'plotEssentials' }))

  -- Start an adventure from the sample scenario through the pickers
  local scenarios = rq('scenario/list', {})
  check('a fresh database has a sample scenario', scenarios and scenarios.total >= 1, scenarios)
  local scn = rq('scenario/get', { id = scenarios.scenarios[1].id })
  cmd('ImaginAI scenarios')
  local scn_list = open_list('imaginai://scenarios')
  check('the scenario list is a buffer with a header, the keys and one line per scenario', scn_list
    and lines(scn_list.buf)[1] == 'Scenarios (1)' and lines(scn_list.buf)[2]:find('<CR> play', 1, true)
    and lines(scn_list.buf)[3]:find(scn.name, 1, true) == 1, scn_list and lines(scn_list.buf))
  press('<CR>')
  check('<CR> in the scenario list starts an adventure', wait(function()
    return im.adventure ~= nil
  end))
  local st = story.get(im.adventure.id)
  check('the story buffer is shown', vim.api.nvim_get_current_buf() == st.buf)
  check('the story buffer shows the opening scene', wait(function()
    return text_of(st.buf) == scn.openingScene
  end), lines(st.buf))
  local adventure_id = im.adventure.id

  -- Streaming: text lands in the buffer chunk by chunk, before the response
  rq('settings/update', { changes = { storytellerDelayMs = 10 } })
  local updates_before_done, done, snapshots, chunks = 0, false, {}, 0
  vim.api.nvim_buf_attach(st.buf, false, {
    on_lines = function()
      if not done then
        updates_before_done = updates_before_done + 1
      end
    end,
  })
  local au_chunk = vim.api.nvim_create_autocmd('User', {
    pattern = 'ImaginAIChunk',
    callback = function()
      chunks = chunks + 1
      table.insert(snapshots, st.pending and st.pending.text or '?')
      -- the buffer ends with the streamed text right now
      local buf_lines = lines(st.buf)
      snapshots[#snapshots] = { text = st.pending.text, last = buf_lines[#buf_lines] }
    end,
  })
  local au_done = vim.api.nvim_create_autocmd('User', {
    pattern = 'ImaginAIDone',
    callback = function()
      done = true
    end,
  })
  cmd('ImaginAI do open the lighthouse door')
  check('the action shows at once, marked as the player\'s', has_line(st.buf, '> open the lighthouse door'), lines(st.buf))
  check('the act request finishes', wait(function()
    return done
  end, 20000))
  check('several chunks arrived before the response', chunks >= 3, chunks)
  check('the buffer changed at least once per chunk before the response', updates_before_done >= chunks, {
    updates = updates_before_done, chunks = chunks })
  local growing = #snapshots >= 2
  for i = 2, #snapshots do
    if not (vim.startswith(snapshots[i].text, snapshots[i - 1].text) and #snapshots[i].text > #snapshots[i - 1].text) then
      growing = false
    end
  end
  check('the streamed text grows chunk by chunk', growing)
  local last_ok = true
  for _, s in ipairs(snapshots) do
    local tl = vim.split(s.text, '\n', { plain = true })
    if s.last ~= tl[#tl] then
      last_ok = false
    end
  end
  check('each chunk was in the buffer when it arrived', last_ok, snapshots[1])
  local list = turns()
  local ai = list[#list]
  check('the act stored a player turn and an ai turn', #list == 3 and list[2].role == 'player' and ai.role == 'ai', #list)
  local streamed = vim.trim(snapshots[#snapshots] and snapshots[#snapshots].text or '')
  check('the stored text is the streamed text (trimmed)', ai.text ~= '' and vim.startswith(streamed, ai.text), {
    ai = ai.text, streamed = streamed })
  local want = vim.split(ai.text, '\n', { plain = true })
  local have = lines(st.buf)
  check('the buffer ends with the authoritative aiTurn.text', vim.deep_equal(vim.list_slice(have, #have - #want + 1), want))
  check('the player turn is highlighted', #vim.api.nvim_buf_get_extmarks(st.buf, story.ns, 0, -1, {}) >= 1)
  vim.api.nvim_del_autocmd(au_chunk)

  local function act(c)
    done = false
    cmd(c)
    return check(c .. ' finishes', wait(function()
      return done
    end, 20000))
  end

  -- say, continue, retry
  rq('settings/update', { changes = { storytellerDelayMs = 0 } })
  act('ImaginAI say hello?')
  check('say shows quoted', has_line(st.buf, '> "hello?"'), lines(st.buf))
  local n_before = #turns()
  act('ImaginAI continue')
  list = turns()
  check('continue adds an ai turn', #list == n_before + 1 and list[#list].role == 'ai', #list)
  local before_retry = list[#list]
  act('ImaginAI retry')
  list = turns()
  check('retry keeps the turn count and id', #list == n_before + 1 and list[#list].id == before_retry.id)
  local versions = rq('turn/versions', { id = before_retry.id }).versions
  check('retry made a second version', #versions == 2, #versions)
  check('the buffer shows the retried text', vim.endswith(text_of(st.buf), list[#list].text))
  check('the old version is no longer shown', before_retry.text == list[#list].text
    or not text_of(st.buf):find(before_retry.text, 1, true))

  -- undo and redo
  local count = #turns()
  local mark = #notes
  cmd('ImaginAI undo')
  check('undo takes out the continued turn', wait(function()
    return #st.turns == count - 1
  end), #st.turns)
  check('undo is reported', noted(mark, 'undid 1 turn'), notes_since(mark))
  check('the buffer no longer shows the undone text', not text_of(st.buf):find(list[#list].text, 1, true))
  cmd('ImaginAI undo')
  check('undo takes out the say exchange', wait(function()
    return #st.turns == count - 3
  end), #st.turns)
  check('the buffer no longer shows the say', not has_line(st.buf, '> "hello?"'))
  cmd('ImaginAI redo')
  check('redo brings the say exchange back', wait(function()
    return #st.turns == count - 1 and has_line(st.buf, '> "hello?"')
  end), #st.turns)
  check('the daemon agrees', #turns() == count - 1)

  -- a story action with text that is not ASCII (Content-Length counts bytes)
  act('ImaginAI story Zoë hums “a song” — 🎶')
  check('a story action with multibyte text round-trips', has_line(st.buf, '> Zoë hums “a song” — 🎶')
    and turns()[#st.turns - 1].text == 'Zoë hums “a song” — 🎶', lines(st.buf))

  -- cancel mid-stream
  rq('settings/update', { changes = { storytellerDelayMs = 150 } })
  local chunks_seen = 0
  au_chunk = vim.api.nvim_create_autocmd('User', {
    pattern = 'ImaginAIChunk',
    callback = function()
      chunks_seen = chunks_seen + 1
    end,
  })
  done = false
  mark = #notes
  local t_cancel = vim.loop.hrtime()
  cmd('ImaginAI do wait for the bell')
  check('two chunks stream before cancelling', wait(function()
    return chunks_seen >= 2
  end, 10000))
  local partial = st.pending and st.pending.text or ''
  cmd('ImaginAI cancel')
  check('the cancelled request ends', wait(function()
    return done
  end, 5000))
  check('cancelling is quick (the generation stopped)', (vim.loop.hrtime() - t_cancel) / 1e6 < 4000)
  check('cancelling is reported', noted(mark, 'cancelled'), notes_since(mark))
  list = turns()
  local p_turn, a_turn = list[#list - 1], list[#list]
  check('the player turn is kept after cancel', p_turn.role == 'player' and p_turn.text == 'wait for the bell', p_turn)
  check('the partial text is kept', a_turn.role == 'ai' and a_turn.text ~= '' and vim.startswith(a_turn.text, vim.trim(partial)), {
    stored = a_turn.text, streamed = partial })
  check('the buffer shows the kept partial text', vim.endswith(text_of(st.buf), a_turn.text))
  check('nothing is pending after cancel', st.pending == nil)
  mark = #notes
  cmd('ImaginAI cancel')
  check('cancel with nothing running warns', noted(mark, 'nothing is being generated'))
  vim.api.nvim_del_autocmd(au_chunk)
  rq('settings/update', { changes = { storytellerDelayMs = 0 } })

  -- edit the turn under the cursor
  vim.api.nvim_set_current_buf(st.buf)
  local row
  for i, l in ipairs(lines(st.buf)) do
    if l == '> open the lighthouse door' then
      row = i
    end
  end
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  cmd('ImaginAI edit')
  local edit_buf = vim.api.nvim_get_current_buf()
  check('edit opens the turn in a scratch buffer', vim.api.nvim_buf_get_name(edit_buf):find('imaginai://turn/', 1, true)
    and text_of(edit_buf) == 'open the lighthouse door', text_of(edit_buf))
  vim.api.nvim_buf_set_lines(edit_buf, 0, -1, false, { 'open the creaking door', 'slowly' })
  cmd('write')
  check(':w saves the turn', wait(function()
    return not vim.api.nvim_buf_get_option(edit_buf, 'modified')
  end))
  check('turn/edit stored the text', turns()[2].text == 'open the creaking door\nslowly')
  check('the story buffer shows the edit', has_line(st.buf, '> open the creaking door') and has_line(st.buf, '> slowly'))
  cmd('bwipeout!')

  -- edit a scenario card and an adventure card in the scratch buffer
  local card_form = require('imaginai.card')
  local target = scn.cards[1]
  -- Every card/update the plugin sends, to prove it sends only what changed.
  local sent = {}
  local real_request = im.request
  im.request = function(method, params, ...)
    if method == 'card/update' then
      table.insert(sent, vim.tbl_extend('force', {}, params.changes)) -- vim.deepcopy cannot copy vim.NIL on 0.7
    end
    return real_request(method, params, ...)
  end
  local function stored_card(id, owner_id)
    local owner = owner_id == adventure_id and rq('adventure/get', { id = adventure_id }) or rq('scenario/get', { id = owner_id })
    for _, c in ipairs(owner.cards) do
      if c.id == id then
        return c
      end
    end
  end
  -- A scenario's cards are listed from the scenario list (c); while playing, :ImaginAI card lists
  -- the adventure's own.
  local function card_list_of(owner)
    if owner == 'scenario' then
      cmd('ImaginAI scenarios')
      local l = open_list('imaginai://scenarios')
      cursor_to(l, scn.id)
      press('c')
      return open_list('imaginai://cards/' .. scn.id)
    end
    vim.api.nvim_set_current_buf(st.buf)
    cmd('ImaginAI card')
    return open_list('imaginai://cards/' .. adventure_id)
  end
  local function open_card(id, owner)
    local l = card_list_of(owner)
    cursor_to(l, id)
    press('<CR>')
    check('card ' .. id .. ' opens a scratch buffer', wait(function()
      return vim.api.nvim_buf_get_name(0):find('imaginai://card/' .. id, 1, true) ~= nil
    end), vim.api.nvim_buf_get_name(0))
    close_lists()
    return vim.api.nvim_get_current_buf()
  end
  -- Replaces the header line of `field` in the buffer, as a user would edit it.
  local function set_field(buf, field, value)
    local ls = lines(buf)
    for i, l in ipairs(ls) do
      if l:match('^' .. field .. ':') then
        vim.api.nvim_buf_set_lines(buf, i - 1, i, false, { field .. ': ' .. value })
        return
      end
    end
    error('no ' .. field .. ' line')
  end
  local function save(buf)
    local n = #sent
    cmd('write')
    return wait(function()
      return not vim.api.nvim_buf_get_option(buf, 'modified')
    end) and #sent == n + 1 and sent[#sent]
  end

  local card_buf = open_card(target.id, 'scenario')
  local shown = lines(card_buf)
  check('the card buffer starts with name, type and keys', shown[1] == string.format('%-18s%s', 'name:', target.name)
    and shown[2] == string.format('%-18s%s', 'type:', target.type)
    and shown[3] == string.format('%-18s%s', 'keys:', table.concat(target.keys, ', ')), shown)
  for _, want in ipairs({ 'secondaryKeys:', 'selectiveLogic:   andAny', 'constant:         false', 'enabled:          true',
    'order:            100', 'probability:      100', 'group:', 'scanDepth:', 'position:         beforeHistory',
    'depth:            4', 'sticky:           0', 'cooldown:         0', 'delay:            0',
    'excludeRecursion: false', 'preventRecursion: false', card_form.DESCRIPTION_MARKER, card_form.NOTES_MARKER }) do
    check('the card buffer shows "' .. want .. '"', vim.tbl_contains(shown, want), shown)
  end
  local desc_row = vim.fn.index(shown, card_form.DESCRIPTION_MARKER) + 1
  local notes_row = vim.fn.index(shown, card_form.NOTES_MARKER) + 1
  check('the description sits between its marker and the notes marker', table.concat(vim.list_slice(shown, desc_row + 1,
    notes_row - 1), '\n') == target.description, shown)
  check('the hints are virtual text, not buffer text', #vim.api.nvim_buf_get_extmarks(card_buf,
    vim.api.nvim_get_namespaces()['imaginai-card'], 0, -1, { details = true }) >= 16
    and not text_of(card_buf):find('andAll', 1, true))

  -- name, type, keys and description: sent, and only they
  local ls = lines(card_buf)
  ls[1], ls[2], ls[3] = 'name: The Renamed Keeper', 'type: keeper', 'keys: keeper, /be,ll/i , Tull'
  local new_lines = vim.list_slice(ls, 1, desc_row)
  vim.list_extend(new_lines, { 'First line.', 'Second line.', card_form.NOTES_MARKER, '' })
  vim.api.nvim_buf_set_lines(card_buf, 0, -1, false, new_lines)
  local changes = save(card_buf)
  local sent_fields = changes and vim.tbl_keys(changes) or {}
  table.sort(sent_fields)
  check(':w sends name, type, keys and description only', vim.deep_equal(sent_fields, { 'description', 'keys', 'name', 'type' }),
    changes)
  local saved = stored_card(target.id, scn.id)
  check('card/update changed the scenario card', saved and saved.name == 'The Renamed Keeper' and saved.type == 'keeper'
    and saved.description == 'First line.\nSecond line.' and vim.deep_equal(saved.keys, { 'keeper', '/be,ll/i', 'Tull' }), saved)
  check('after saving the buffer shows the stored card', vim.deep_equal(lines(card_buf), card_form.form(saved).lines), lines(card_buf))
  cmd('bwipeout!')

  -- A card with text that must survive exactly: white space, blank lines, a marker line in the description.
  local tricky_desc = '  Indented first line.\n\n\tTabbed, then blank lines\n\n\n' .. card_form.NOTES_MARKER .. '\ntrailing spaces   \n'
  local tricky_notes = '\n' .. card_form.NOTES_MARKER .. '\n  notes with a marker line inside  \n\n'
  local rules_card = rq('card/create', { scenarioId = scn.id, card = {
    name = 'Tide rules', type = 'lore', keys = { 'tide' }, description = tricky_desc, notes = tricky_notes,
    secondaryKeys = { 'moon', 'storm' }, selectiveLogic = 'andAll', constant = true, enabled = false, order = 7,
    probability = 35, scanDepth = 3, group = 'weather', position = 'atDepth', depth = 2, sticky = 1, cooldown = 2,
    delay = 3, excludeRecursion = true, preventRecursion = false,
  } })
  card_buf = open_card(rules_card.id, 'scenario')
  shown = lines(card_buf)
  for _, want in ipairs({ 'secondaryKeys:    moon, storm', 'selectiveLogic:   andAll', 'constant:         true',
    'enabled:          false', 'order:            7', 'probability:      35', 'group:            weather',
    'scanDepth:        3', 'position:         atDepth', 'depth:            2', 'sticky:           1', 'cooldown:         2',
    'delay:            3', 'excludeRecursion: true' }) do
    check('the card buffer shows "' .. want .. '"', vim.tbl_contains(shown, want), shown)
  end
  check('a notes marker inside the notes gets a longer marker line', vim.tbl_contains(shown, card_form.NOTES_MARKER .. '─'), shown)

  -- a card list shows which cards are constant or disabled
  local clist = card_list_of('scenario')
  check('the card list marks constant and disabled cards', clist
    and has_line(clist.buf, 'Tide rules (lore)  [constant, disabled]')
    and has_line(clist.buf, 'The Renamed Keeper (keeper)'), clist and lines(clist.buf))
  close_lists()
  vim.api.nvim_set_current_win(vim.fn.bufwinid(card_buf))

  -- each kind of field, one :w each; text untouched
  local edits = {
    { kind = 'bool', field = 'enabled', value = 'true', want = true },
    { kind = 'bool', field = 'constant', value = 'false', want = false },
    { kind = 'int', field = 'order', value = '-20', want = -20 },
    { kind = 'int', field = 'probability', value = '100', want = 100 },
    { kind = 'int', field = 'sticky', value = '0', want = 0 },
    { kind = 'enum', field = 'selectiveLogic', value = 'notAny', want = 'notAny' },
    { kind = 'enum', field = 'position', value = 'afterHistory', want = 'afterHistory' },
    { kind = 'list', field = 'secondaryKeys', value = 'fog, /mo+n/i', want = { 'fog', '/mo+n/i' } },
    { kind = 'list', field = 'secondaryKeys', value = '', want = {} },
    { kind = 'nullable', field = 'group', value = 'tides', want = 'tides' },
    { kind = 'nullable', field = 'group', value = '', want = nil },
    { kind = 'nullable', field = 'scanDepth', value = '', want = nil },
    { kind = 'nullable', field = 'scanDepth', value = '12', want = 12 },
  }
  for _, e in ipairs(edits) do
    local before = stored_card(rules_card.id, scn.id)
    set_field(card_buf, e.field, e.value)
    changes = save(card_buf)
    local after_edit = stored_card(rules_card.id, scn.id)
    local label = e.kind .. ' ' .. e.field .. ' = "' .. e.value .. '"'
    local only = changes and vim.tbl_count(changes) == 1 and changes[e.field] ~= nil
    check(label .. ': only that field is sent', only, changes)
    local want_wire = e.want
    if want_wire == nil then
      want_wire = vim.NIL
    end
    check(label .. ': sent as ' .. vim.inspect(want_wire), changes and vim.deep_equal(changes[e.field], want_wire), changes)
    local rest_same = true
    for k, v in pairs(before) do
      if k ~= e.field and not vim.deep_equal(after_edit[k], v) then
        rest_same = false
      end
    end
    check(label .. ': stored, everything else unchanged', vim.deep_equal(after_edit[e.field], e.want) and rest_same, after_edit)
  end
  local final = stored_card(rules_card.id, scn.id)
  check('the description survived every save byte for byte', final.description == tricky_desc, final.description)
  check('the notes survived every save byte for byte', final.notes == tricky_notes, final.notes)

  -- editing the text itself keeps white space and blank lines exactly
  ls = lines(card_buf)
  desc_row = vim.fn.index(ls, card_form.DESCRIPTION_MARKER) + 1
  vim.api.nvim_buf_set_lines(card_buf, desc_row, desc_row, false, { '', '   A new first line with spaces around   ' })
  vim.api.nvim_buf_set_lines(card_buf, -1, -1, false, { 'an added notes line ' })
  changes = save(card_buf)
  final = stored_card(rules_card.id, scn.id)
  check('a text edit sends only description and notes', changes and vim.tbl_count(changes) == 2 and changes.description
    and changes.notes, changes)
  check('the edited description is stored exactly', final.description == '\n   A new first line with spaces around   \n' .. tricky_desc,
    final.description)
  check('the edited notes are stored exactly', final.notes == tricky_notes .. '\nan added notes line ', final.notes)

  -- nothing changed: no request
  mark = #notes
  local n_sent = #sent
  vim.api.nvim_buf_set_option(card_buf, 'modified', true)
  cmd('write')
  check(':w without a change sends nothing and says so', #sent == n_sent and noted(mark, 'nothing changed')
    and not vim.api.nvim_buf_get_option(card_buf, 'modified'), notes_since(mark))

  -- invalid values are refused naming the field; the buffer keeps the edit
  for _, bad in ipairs({ { 'probability', '150', 'probability must be a whole number from 0 to 100; got "150"' },
    { 'selectiveLogic', 'foo', 'selectiveLogic must be one of andAny, andAll, notAny, notAll; got "foo"' },
    { 'constant', 'maybe', 'constant must be true or false; got "maybe"' },
    { 'scanDepth', 'deep', 'scanDepth must be a whole number from 0 to 100, or empty for the setting; got "deep"' },
    { 'name', '', 'name must not be empty' } }) do
    mark, n_sent = #notes, #sent
    set_field(card_buf, bad[1], bad[2])
    cmd('write')
    check('an invalid ' .. bad[1] .. ' is refused with a message naming it', noted(mark, bad[3], vim.log.levels.ERROR)
      and #sent == n_sent, notes_since(mark))
    check('the refused buffer stays modified with the edit', vim.api.nvim_buf_get_option(card_buf, 'modified')
      and vim.tbl_contains(lines(card_buf), bad[1] .. ': ' .. bad[2]))
    set_field(card_buf, bad[1], card_form.form(final).shown[bad[1]])
  end
  mark = #notes
  vim.api.nvim_buf_set_lines(card_buf, 0, 0, false, { 'frequency: 3' })
  cmd('write')
  check('an unknown field is refused naming its line', noted(mark, 'line 1: expected "field: value"', vim.log.levels.ERROR), notes_since(mark))
  vim.api.nvim_buf_set_lines(card_buf, 0, -1, false, { 'name: x', 'description:', 'x' })
  mark = #notes
  cmd('write')
  check('a buffer without the description marker is refused', noted(mark, 'is missing', vim.log.levels.ERROR)
    and vim.api.nvim_buf_get_option(card_buf, 'modified'), notes_since(mark))
  check('nothing was stored from refused saves', vim.deep_equal(stored_card(rules_card.id, scn.id), final))
  cmd('bwipeout!')
  rq('card/delete', { id = rules_card.id })

  -- an adventure card: a line added to the end of its description
  local adv = rq('adventure/get', { id = adventure_id })
  local acard = adv.cards[2]
  card_buf = open_card(acard.id, 'adventure')
  local cl = lines(card_buf)
  local notes_at = vim.fn.index(cl, card_form.NOTES_MARKER) + 1
  vim.api.nvim_buf_set_lines(card_buf, notes_at - 1, notes_at - 1, false, { 'An added line.' })
  changes = save(card_buf)
  check(':w saves the adventure card', changes and vim.tbl_count(changes) == 1, changes)
  adv = rq('adventure/get', { id = adventure_id })
  check('card/update changed the adventure card only', adv.cards[2].description == acard.description .. '\nAn added line.'
    and adv.cards[2].name == acard.name and vim.deep_equal(adv.cards[2].keys, acard.keys), adv.cards[2])
  cmd('bwipeout!')
  im.request = real_request

  -- edit a scenario field
  cmd('ImaginAI scenario authorsNotes')
  check('scenario field opens', wait(function()
    return vim.api.nvim_buf_get_name(0):find('/authorsNotes', 1, true) ~= nil
  end))
  local sbuf = vim.api.nvim_get_current_buf()
  check('the field buffer shows the field', text_of(sbuf) == scn.authorsNotes)
  vim.api.nvim_buf_set_lines(sbuf, 0, -1, false, { 'Keep it eerie.', 'Never explain the bell.' })
  cmd('write')
  check(':w saves the field', wait(function()
    return not vim.api.nvim_buf_get_option(sbuf, 'modified')
  end))
  check('scenario/update stored the field', rq('scenario/get', { id = scn.id }).authorsNotes == 'Keep it eerie.\nNever explain the bell.')
  cmd('bwipeout!')
  cmd('ImaginAI scenario tags')
  check('the tags field opens', wait(function()
    return vim.api.nvim_buf_get_name(0):find('/tags', 1, true) ~= nil
  end))
  sbuf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(sbuf, 0, -1, false, { 'one, two', 'three' })
  cmd('write')
  wait(function()
    return not vim.api.nvim_buf_get_option(sbuf, 'modified')
  end)
  check('tags are saved as a list', vim.deep_equal(rq('scenario/get', { id = scn.id }).tags, { 'one', 'two', 'three' }))
  cmd('bwipeout!')

  -- context preview and usage floats
  local function float_text()
    for _, w in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(w).relative ~= '' then
        return text_of(vim.api.nvim_win_get_buf(w)), w
      end
    end
  end
  vim.api.nvim_set_current_buf(st.buf)
  cmd('ImaginAI context ask Brannoch about the bell')
  check('context opens a float', wait(function()
    return float_text() ~= nil
  end))
  local ft, fw = float_text()
  ft = ft or ''
  check('the context float lists sections with token counts', ft:find('Sections:', 1, true) and ft:find('system%s+%d+ tokens')
    and ft:find('history%s+%d+ tokens'), ft)
  check('the context float lists fired cards with their key', ft:find('Fired cards:\n', 1, true) and ft:find('(key "', 1, true), ft)
  check('the context float lists dropped turns', ft:find('Dropped turns: ', 1, true))
  local preview = rq('story/preview', { adventureId = adventure_id, action = 'do', text = 'ask Brannoch about the bell' })
  for _, sec in ipairs(preview.sections) do
    check('the context float lists the ' .. sec.name .. ' section', ft:find('── ' .. sec.name .. ' (', 1, true) ~= nil, ft)
  end
  check('the context float counts the recalled turns', ft:find('Recalled turns: ' .. #preview.recalledTurns, 1, true) ~= nil, ft)
  if fw then
    vim.api.nvim_win_close(fw, true)
  end
  cmd('ImaginAI usage')
  check('usage opens a float', wait(function()
    return float_text() ~= nil
  end))
  ft, fw = float_text()
  ft = ft or ''
  local usage = rq('usage/get', { adventureId = adventure_id })
  check('the usage float shows the totals', ft:find(usage.totals.turns .. ' generated turns', 1, true)
    and ft:find('prompt ' .. usage.totals.promptTokens, 1, true), ft)
  if fw then
    vim.api.nvim_win_close(fw, true)
  end

  local with_memories = im.context_lines({ model = 'm', totalTokens = 1, budgetTokens = 2, includedTurns = {},
    droppedTurns = {}, olderTurnsOmitted = 0, firedCards = {}, recalledTurns = { 't1', 't2' },
    sections = { { name = 'memories', tokens = 7, text = 'The bell rang twice.' } } })
  check('the context shows the memories section and how many turns it recalled',
    vim.tbl_contains(with_memories, 'Recalled turns: 2') and vim.tbl_contains(with_memories, '── memories (7 tokens) ──')
    and vim.tbl_contains(with_memories, 'The bell rang twice.'), with_memories)

  -- the adventure summary: edit, save only on change, versions, take back
  check('completion of summary', vim.deep_equal(im.complete('ver', 'ImaginAI summary ver'), { 'versions' }))
  vim.api.nvim_set_current_buf(st.buf)
  rq('adventure/update', { id = adventure_id, changes = { summary = 'First:  the bell.\n\n  Tull waits.  ' } })
  cmd('ImaginAI summary')
  check('summary opens a buffer', wait(function()
    return vim.api.nvim_buf_get_name(0):find('imaginai://summary/' .. adventure_id, 1, true) ~= nil
  end))
  local sumbuf = vim.api.nvim_get_current_buf()
  check('the summary buffer shows the text byte for byte', text_of(sumbuf) == 'First:  the bell.\n\n  Tull waits.  ', text_of(sumbuf))
  local before = #rq('adventure/summaryVersions', { adventureId = adventure_id }).versions
  mark = #notes
  cmd('write')
  check(':w of an unchanged summary stores nothing and says so', wait(function()
    return noted(mark, 'unchanged')
  end) and #rq('adventure/summaryVersions', { adventureId = adventure_id }).versions == before, notes_since(mark))
  vim.api.nvim_buf_set_lines(sumbuf, 0, -1, false, { 'Second: the ferry.', '\tMira rows.' })
  mark = #notes
  cmd('write')
  check(':w saves the summary and names the adventure', wait(function()
    return noted(mark, 'summary of “' .. vim.pesc(im.adventure.name) .. '” saved')
  end) and not vim.api.nvim_buf_get_option(sumbuf, 'modified'), notes_since(mark))
  check('adventure/update stored the summary', rq('adventure/get', { id = adventure_id }).summary == 'Second: the ferry.\n\tMira rows.')
  cmd('bwipeout!')
  local shown
  chooser = function(items, opts)
    shown = vim.tbl_map(opts.format_item, items)
    for i, v in ipairs(items) do
      if v.text == 'First:  the bell.\n\n  Tull waits.  ' then
        return i
      end
    end
  end
  mark = #notes
  vim.api.nvim_set_current_buf(st.buf)
  cmd('ImaginAI summary versions')
  check('taking back a version stores its text as the newest', wait(function()
    return noted(mark, 'taken back')
  end) and rq('adventure/get', { id = adventure_id }).summary == 'First:  the bell.\n\n  Tull waits.  ', notes_since(mark))
  chooser = nil
  local versions = rq('adventure/summaryVersions', { adventureId = adventure_id }).versions
  check('versions list source, time and first line', shown and #shown == before + 1
    and shown[#shown]:find('^user  .*  Second: the ferry%.  %(current%)$') ~= nil, shown)
  check('the take-back is a new version', #versions == before + 2 and versions[#versions].current, versions)

  -- fired cards as a daemon with recursion, groups and timed effects reports them; key may be null
  local synthetic = im.context_lines({ model = 'm', totalTokens = 1, budgetTokens = 2, sections = {}, includedTurns = {},
    droppedTurns = {}, olderTurnsOmitted = 0, firedCards = {
      { cardId = 'a', name = 'Bell', key = 'bell', included = true, trigger = 'story' },
      { cardId = 'b', name = 'Tull', key = 'Tull', included = true, trigger = 'card', firedBy = 'a' },
      { cardId = 'c', name = 'Fog', included = true, trigger = 'constant' },
      { cardId = 'd', name = 'Lens', included = true, trigger = 'sticky' },
      { cardId = 'e', name = 'Gull', key = 'gull', included = false, trigger = 'story', leftOut = 'group' },
      { cardId = 'f', name = 'Dice', key = 'dice', included = false, trigger = 'story', leftOut = 'probability' },
      { cardId = 'g', name = 'Old', key = 'old', included = false },
    } })
  local want_fired = {
    '  Bell  (key "bell")',
    '  Tull  (key "Tull" in card "Bell")',
    '  Fog  (constant)',
    '  Lens  (sticky from an earlier turn)',
    '  Gull  (key "gull")  NOT INCLUDED: another card of its group has a higher order',
    '  Dice  (key "dice")  NOT INCLUDED: its probability roll failed',
    '  Old  (key "old")  NOT INCLUDED: over the card budget',
  }
  local at = vim.fn.index(synthetic, 'Fired cards:') + 1
  check('the context lists what fired each card, null keys and why a card was left out',
    at > 0 and vim.deep_equal(vim.list_slice(synthetic, at + 1, at + #want_fired), want_fired), synthetic)

  -- errors are notifications, not crashes
  mark = #notes
  cmd('ImaginAI redo')
  check('redo with nothing to redo notifies the JSON-RPC error', wait(function()
    return noted(mark, '%[%-31002%]', vim.log.levels.ERROR)
  end), notes_since(mark))
  mark = #notes
  cmd('ImaginAI frobnicate')
  check('an unknown subcommand notifies', noted(mark, 'unknown subcommand', vim.log.levels.ERROR))
  mark = #notes
  cmd('ImaginAI do')
  check('do without text warns', noted(mark, 'say what you do'))
  mark = #notes
  cmd('ImaginAI scenario nonsense')
  check('an unknown scenario field warns', noted(mark, 'which field'))
  mark = #notes
  rq('settings/update', { changes = { model = 'openai/gpt-4o' } })
  done = false
  cmd('ImaginAI continue')
  check('a provider failure ends the request', wait(function()
    return done
  end))
  check('a provider failure notifies -31003', noted(mark, '%[%-31003%]', vim.log.levels.ERROR), notes_since(mark))
  check('nothing is pending after a failure', st.pending == nil)
  rq('settings/update', { changes = { model = 'offline/storyteller' } })
  mark = #notes
  im.request('scenario/get', { id = 'scn_nope' })
  check('a not-found error notifies -31001', wait(function()
    return noted(mark, '%[%-31001%]', vim.log.levels.ERROR)
  end), notes_since(mark))

  -- export and import
  local scn_file = tmp .. '/scenario.json'
  mark = #notes
  cmd('ImaginAI export ' .. scn_file)
  check('export writes the scenario file', wait(function()
    return vim.fn.filereadable(scn_file) == 1 and noted(mark, 'exported')
  end), notes_since(mark))
  local f = io.open(scn_file)
  local ok_json, exported = pcall(vim.json.decode, f and f:read('*a') or '')
  if f then
    f:close()
  end
  check('the exported file is an imaginai scenario', ok_json and exported.format == 'imaginai.scenario'
    and exported.scenario.authorsNotes == 'Keep it eerie.\nNever explain the bell.', exported)
  local total = rq('scenario/list', {}).total
  mark = #notes
  cmd('ImaginAI import ' .. scn_file)
  check('import makes a new scenario', wait(function()
    return noted(mark, 'imported scenario')
  end) and rq('scenario/list', {}).total == total + 1, notes_since(mark))
  local cards_file = tmp .. '/cards.json'
  local ncards = #rq('adventure/get', { id = adventure_id }).cards
  mark = #notes
  cmd('ImaginAI export cards format=aidungeon ' .. cards_file)
  check('export cards writes a card file', wait(function()
    return noted(mark, 'exported')
  end) and vim.fn.filereadable(cards_file) == 1, notes_since(mark))
  mark = #notes
  cmd('ImaginAI import cards ' .. cards_file)
  check('import cards appends to the adventure', wait(function()
    return noted(mark, 'imported %d+ cards')
  end) and #rq('adventure/get', { id = adventure_id }).cards == 2 * ncards, notes_since(mark))
  -- An AI Dungeon card file has no title: imported as a scenario, it is named after the file.
  mark = #notes
  cmd('ImaginAI import ' .. cards_file)
  check('a card file imported as a scenario is named after the file', wait(function()
    return noted(mark, 'imported scenario “cards”')
  end), notes_since(mark))
  -- A KoboldAI key's AI Dungeon attributes have no meaning here: the message says they were dropped.
  local kobold_file = tmp .. '/kobold.json'
  local kf = io.open(kobold_file, 'w')
  kf:write('{"worldinfo": [{"key": "Mira#[t=5]", "keysecondary": "", "content": "Mira rows the ferry.", "comment": "Mira"}]}')
  kf:close()
  mark = #notes
  cmd('ImaginAI import cards ' .. kobold_file)
  check('an import says what it could not keep', wait(function()
    return noted(mark, 'imported 1 cards %(koboldai%).*1 warning: .*t=5')
  end), notes_since(mark))
  mark = #notes
  cmd('ImaginAI import ' .. tmp .. '/missing.json')
  check('importing a missing file notifies', noted(mark, 'cannot read', vim.log.levels.ERROR))

  -- Commands act on the played adventure's scenario and say so, whatever was imported meanwhile
  vim.api.nvim_set_current_buf(st.buf)
  local played_scn = rq('scenario/get', { id = im.adventure.scenarioId })
  local target_file = tmp .. '/target.json'
  mark = #notes
  cmd('ImaginAI export ' .. target_file)
  check('after imports, export still acts on the played scenario and names it', wait(function()
    return noted(mark, 'exported scenario “' .. vim.pesc(played_scn.name) .. '” %(imaginai%) to ' .. vim.pesc(target_file))
  end), notes_since(mark))
  cmd('ImaginAI scenario name')
  check('after imports, :ImaginAI scenario name edits the played scenario', wait(function()
    return vim.api.nvim_buf_get_name(0):find('imaginai://scenario/' .. played_scn.id .. '/name', 1, true) ~= nil
  end), vim.api.nvim_buf_get_name(0))
  cmd('bwipeout!')

  -- Confirmation prompts are answered by `answer` and recorded.
  local asked = {}
  local answer = 1
  local real_confirm = vim.fn.confirm
  vim.fn.confirm = function(question)
    table.insert(asked, question)
    return answer
  end
  local inputs = {} -- answers for vim.ui.input, in order
  local prompts = {}
  vim.ui.input = function(opts, on_confirm)
    table.insert(prompts, { prompt = opts.prompt, default = opts.default })
    local value = table.remove(inputs, 1)
    vim.schedule(function()
      on_confirm(value)
    end)
  end

  -- Versions: a retry leaves the earlier text, browsable like swipes with [v and ]v
  vim.api.nvim_set_current_buf(st.buf)
  done = false
  cmd('ImaginAI retry')
  wait(function()
    return done
  end, 20000)
  local retried = st.turns[#st.turns]
  local vlist = rq('turn/versions', { id = retried.id }).versions
  local function mark_text()
    for _, m in ipairs(vim.api.nvim_buf_get_extmarks(st.buf, story.ns, 0, -1, { details = true })) do
      local vt = m[4].virt_text
      if vt then
        return vt[1][1]
      end
    end
  end
  check('after a retry the turn shows its version count', wait(function()
    return (mark_text() or ''):find('version ' .. #vlist .. '/' .. #vlist, 1, true) ~= nil
  end), mark_text())
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(st.buf), 0 })
  mark = #notes
  press('[v')
  check('[v brings the previous version back into the buffer', wait(function()
    return vim.endswith(text_of(st.buf), vlist[#vlist - 1].text)
  end), { want = vlist[#vlist - 1].text, have = lines(st.buf) })
  check('[v says which version is shown', noted(mark, 'version ' .. (#vlist - 1) .. '/' .. #vlist), notes_since(mark))
  check('the daemon stores the chosen version as current', rq('turn/versions', { id = retried.id }).versions[#vlist - 1].current)
  mark = #notes
  press(']v')
  check(']v goes forward again', wait(function()
    return vim.endswith(text_of(st.buf), vlist[#vlist].text) and noted(mark, 'version ' .. #vlist .. '/' .. #vlist)
  end), notes_since(mark))
  mark = #notes
  press(']v')
  check(']v at the newest version says it is the last', wait(function()
    return noted(mark, 'is the last')
  end), notes_since(mark))
  local shown_versions
  chooser = function(items, opts)
    shown_versions = vim.tbl_map(opts.format_item, items)
    return 1
  end
  cmd('ImaginAI versions')
  check(':ImaginAI versions lists each version and takes the chosen one', wait(function()
    return vim.endswith(text_of(st.buf), vlist[1].text)
  end) and shown_versions and shown_versions[1]:find('^version 1/' .. #vlist) ~= nil, shown_versions)
  chooser = nil

  -- turn delete: asks, naming the turn, then deletes it
  local n_turns = #turns()
  local last_turn = st.turns[#st.turns]
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(st.buf), 0 })
  answer = 2
  mark = #notes
  cmd('ImaginAI turn delete')
  check('turn delete asks first, naming the turn and the adventure', asked[#asked]
    and asked[#asked]:find('Delete turn ' .. last_turn.index .. ' (ai: “', 1, true) ~= nil
    and asked[#asked]:find(im.adventure.name, 1, true) ~= nil, asked[#asked])
  check('answering no deletes nothing', noted(mark, 'nothing deleted') and #turns() == n_turns)
  answer = 1
  cmd('ImaginAI turn delete')
  check('turn delete deletes the turn under the cursor', wait(function()
    return #st.turns == n_turns - 1
  end) and #turns() == n_turns - 1, #st.turns)

  -- The model picker applies at once: no restart, the next generation uses it
  rq('settings/update', { changes = { model = 'openai/gpt-4o' } })
  local model_items
  chooser = function(items, opts)
    model_items = vim.tbl_map(opts.format_item, items)
    for i, m in ipairs(items) do
      if m.id == 'offline/storyteller' then
        return i
      end
    end
  end
  mark = #notes
  local client_before = im.client
  cmd('ImaginAI model')
  check(':ImaginAI model lists models/list and stores the choice', wait(function()
    return noted(mark, 'model: offline/storyteller')
  end) and rq('settings/get', {}).model == 'offline/storyteller', notes_since(mark))
  check('the model list shows each model with its context size', model_items and model_items[1]
    :find('^offline/storyteller  .*  8192 tokens$') ~= nil, model_items)
  chooser = nil
  act('ImaginAI continue')
  check('the new model writes the next turn with the same daemon (no restart)', im.client == client_before
    and st.turns[#st.turns].usage and st.turns[#st.turns].usage.model == 'offline/storyteller', st.turns[#st.turns])

  -- The settings picker: each kind of value, and a precise error for a bad one
  local function set_setting(key, typed)
    chooser = function(items)
      for i, k in ipairs(items) do
        if k == key then
          return i
        end
      end
    end
    table.insert(inputs, typed)
    cmd('ImaginAI settings')
  end
  mark = #notes
  set_setting('maxOutputTokens', '300')
  check('a setting is changed through the picker and a prompt holding its value', wait(function()
    return noted(mark, 'setting maxOutputTokens = 300')
  end) and rq('settings/get', {}).maxOutputTokens == 300 and prompts[#prompts].default == '200', prompts[#prompts])
  mark = #notes
  set_setting('maxOutputTokens', '1200')
  check('an out-of-range value is refused with the daemon\'s reason', wait(function()
    return noted(mark, 'setting maxOutputTokens not changed: .*between 50 and 800', vim.log.levels.ERROR)
  end) and rq('settings/get', {}).maxOutputTokens == 300, notes_since(mark))
  mark = #notes
  set_setting('scanDepth', 'deep')
  check('a value that is no number is refused before sending', wait(function()
    return noted(mark, 'scanDepth must be a whole number; got "deep"', vim.log.levels.ERROR)
  end), notes_since(mark))
  set_setting('contextTokens', '2048')
  check('contextTokens takes a number', wait(function()
    return rq('settings/get', {}).contextTokens == 2048
  end))
  set_setting('contextTokens', '')
  check('contextTokens empty is null (the whole window)', wait(function()
    return rq('settings/get', {}).contextTokens == nil
  end))
  local pick_value
  chooser = function(items)
    if pick_value == nil then
      for i, k in ipairs(items) do
        if k == 'allowThinking' then
          pick_value = true
          return i
        end
      end
    end
    for i, v in ipairs(items) do
      if v == true then
        return i
      end
    end
  end
  cmd('ImaginAI settings')
  check('a true/false setting is a choice', wait(function()
    return rq('settings/get', {}).allowThinking == true
  end))
  chooser = nil
  rq('settings/update', { changes = { allowThinking = false, maxOutputTokens = 200 } })
  cmd('ImaginAI settings baseSystemInstruction')
  check('the long instruction opens in a buffer', wait(function()
    return vim.api.nvim_buf_get_name(0):find('imaginai://settings/baseSystemInstruction', 1, true) ~= nil
  end))
  local instruction = 'Narrate tersely.\n\n  Second person, always.  '
  vim.api.nvim_buf_set_lines(0, 0, -1, false, vim.split(instruction, '\n', { plain = true }))
  cmd('write')
  check('the instruction is stored byte for byte', wait(function()
    return rq('settings/get', {}).baseSystemInstruction == instruction
  end))
  cmd('bwipeout!')
  mark = #notes
  cmd('ImaginAI settings maxTokens')
  check('an unknown setting is named with the list of settings', wait(function()
    return noted(mark, 'no setting “maxTokens”; the settings are .*maxOutputTokens', vim.log.levels.ERROR)
  end), notes_since(mark))

  -- Scenarios: new, rename, duplicate, delete (with confirmation naming it)
  local n_scn = rq('scenario/list', {}).total
  table.insert(inputs, 'Salt and Static')
  mark = #notes
  cmd('ImaginAI scenario new')
  check('scenario new asks for a name and creates it', wait(function()
    return noted(mark, 'created scenario “Salt and Static”')
  end) and rq('scenario/list', {}).total == n_scn + 1, notes_since(mark))
  cmd('ImaginAI scenarios')
  local sl = open_list('imaginai://scenarios', n_scn + 1)
  local salt
  for _, e in ipairs(sl and sl.entries or {}) do
    if e.name == 'Salt and Static' then
      salt = e
    end
  end
  check('the new scenario is in the list', salt ~= nil)
  cursor_to(sl, salt.id)
  table.insert(inputs, 'Salt and Signal')
  mark = #notes
  press('r')
  check('r in the scenario list renames, naming old and new', wait(function()
    return noted(mark, 'renamed scenario “Salt and Static” to “Salt and Signal”')
  end) and prompts[#prompts].default == 'Salt and Static', notes_since(mark))
  check('the list refreshes after the rename', wait(function()
    return has_line(sl.buf, 'Salt and Signal  (0 cards)')
  end), lines(sl.buf))
  mark = #notes
  press('y')
  check('y in the scenario list duplicates', wait(function()
    return noted(mark, 'duplicated scenario “Salt and Signal” as “Salt and Signal %(copy%)”')
      and has_line(sl.buf, 'Salt and Signal (copy)  (0 cards)')
  end), notes_since(mark))
  cursor_to(sl, salt.id)
  mark = #notes
  press('d')
  check('d in the scenario list asks, naming the scenario', asked[#asked]
    == 'Delete scenario “Salt and Signal” and its 0 cards? Adventures started from it stay playable.', asked[#asked])
  check('then deletes it and the list follows', wait(function()
    return noted(mark, 'deleted scenario “Salt and Signal”') and not has_line(sl.buf, 'Salt and Signal  (0 cards)')
  end), notes_since(mark))
  close_lists()
  -- and the same through commands, on the played scenario
  mark = #notes
  vim.api.nvim_set_current_buf(st.buf)
  cmd('ImaginAI scenario duplicate The Lighthouse, again')
  check('scenario duplicate NAME copies the played scenario under that name', wait(function()
    return noted(mark, 'duplicated scenario “' .. vim.pesc(played_scn.name) .. '” as “The Lighthouse, again”')
  end), notes_since(mark))
  local again = vim.tbl_filter(function(x)
    return x.name == 'The Lighthouse, again'
  end, rq('scenario/list', {}).scenarios)[1]
  mark = #notes
  im.scenario_id = again.id
  local saved_adventure = im.adventure
  im.adventure = nil
  vim.cmd('enew')
  cmd('ImaginAI scenario rename The Lighthouse, third')
  check('without an adventure, scenario commands act on the scenario picked last', wait(function()
    return noted(mark, 'renamed scenario “The Lighthouse, again” to “The Lighthouse, third”')
  end), notes_since(mark))
  cmd('ImaginAI scenario delete')
  check('scenario delete asks, naming it', wait(function()
    return noted(mark, 'deleted scenario “The Lighthouse, third”')
  end) and asked[#asked]:find('Delete scenario “The Lighthouse, third”', 1, true) ~= nil, asked[#asked])
  im.adventure = saved_adventure
  vim.api.nvim_set_current_buf(st.buf)

  -- Cards: while playing, the adventure's own cards only (the scenario's are its template)
  cmd('ImaginAI card')
  local cl2 = open_list('imaginai://cards/' .. adventure_id)
  local adv_cards = rq('adventure/get', { id = adventure_id }).cards
  check('the card list lists each of the adventure\'s cards once', cl2 and #cl2.entries == #adv_cards
    and lines(cl2.buf)[1] == 'Cards of adventure “' .. im.adventure.name .. '” (' .. #adv_cards .. ')', cl2 and lines(cl2.buf)[1])
  table.insert(inputs, 'Ferry bell')
  -- as in a vimrc with `set autoindent smartindent`: new buffers start with them on
  vim.go.autoindent, vim.go.smartindent = true, true
  mark = #notes
  press('a')
  check('a in the card list creates a card and opens it', wait(function()
    return noted(mark, 'created card “Ferry bell” in adventure') and vim.api.nvim_buf_get_name(0):find('imaginai://card/', 1, true)
  end), notes_since(mark))
  local bell_buf = vim.api.nvim_get_current_buf()
  check('the card editor has its own filetype and no indent expression',
    vim.bo[bell_buf].filetype == 'imaginai-card' and vim.bo[bell_buf].indentexpr == '' and not vim.bo[bell_buf].autoindent,
    { vim.bo[bell_buf].filetype, vim.bo[bell_buf].indentexpr })
  -- typed in insert mode, with autoindent on everywhere else: the text comes back exactly
  local blines = lines(bell_buf)
  local drow = vim.fn.index(blines, card_form.DESCRIPTION_MARKER) + 1
  vim.api.nvim_win_set_cursor(0, { drow + 1, 0 }) -- the empty description line
  press('i    It rings at dusk.<CR>Nobody rings it.<CR>  - twice, then silence<CR><CR>end.<Esc>')
  local typed = '    It rings at dusk.\nNobody rings it.\n  - twice, then silence\n\nend.'
  local bell = vim.tbl_filter(function(c)
    return c.name == 'Ferry bell'
  end, rq('adventure/get', { id = adventure_id }).cards)[1]
  mark = #notes
  cmd('write')
  check('a description typed in insert mode is stored byte for byte', wait(function()
    return noted(mark, 'card “Ferry bell” saved')
  end) and stored_card(bell.id, adventure_id).description == typed, stored_card(bell.id, adventure_id).description)
  vim.go.autoindent, vim.go.smartindent = false, false
  mark = #notes
  cmd('ImaginAI card duplicate')
  check('card duplicate in the editor copies that card, naming its owner', wait(function()
    return noted(mark, 'duplicated card “Ferry bell” in adventure “')
  end), notes_since(mark))
  answer = 1
  mark = #notes
  cmd('ImaginAI card delete')
  check('card delete in the editor asks, naming the card and its owner', asked[#asked]
    and asked[#asked]:find('Delete card “Ferry bell” of adventure “', 1, true) == 1, asked[#asked])
  check('then deletes it and closes its editor', wait(function()
    return noted(mark, 'deleted card “Ferry bell”') and not vim.api.nvim_buf_is_valid(bell_buf)
  end), notes_since(mark))
  cmd('ImaginAI card')
  cl2 = open_list('imaginai://cards/' .. adventure_id)
  local copy = vim.tbl_filter(function(c)
    return c.name == 'Ferry bell (copy)'
  end, cl2.entries)[1]
  check('the copy is in the list', copy ~= nil, cl2.entries)
  cursor_to(cl2, copy.id)
  mark = #notes
  press('y')
  check('y in the card list duplicates', wait(function()
    return noted(mark, 'duplicated card “Ferry bell %(copy%)”') and #cl2.entries == #adv_cards + 2
  end), notes_since(mark))
  cursor_to(cl2, copy.id)
  press('d')
  check('d in the card list deletes after asking', wait(function()
    return #cl2.entries == #adv_cards + 1
  end), #cl2.entries)
  table.insert(inputs, 'Harbour ghost')
  mark = #notes
  cmd('ImaginAI card new')
  check('card new creates in the played adventure', wait(function()
    return noted(mark, 'created card “Harbour ghost” in adventure')
  end), notes_since(mark))
  cmd('bwipeout!')
  close_lists()

  -- Adventures: rename, duplicate, restart, delete
  vim.api.nvim_set_current_buf(st.buf)
  local adv_name = im.adventure.name
  mark = #notes
  cmd('ImaginAI adventure rename The long night')
  check('adventure rename names old and new', wait(function()
    return noted(mark, 'renamed adventure “' .. vim.pesc(adv_name) .. '” to “The long night”')
  end) and rq('adventure/get', { id = adventure_id }).name == 'The long night', notes_since(mark))
  check('the story buffer\'s name follows the rename', vim.api.nvim_buf_get_name(st.buf)
    == 'imaginai://' .. adventure_id .. '/The long night' and vim.fn.bufnr('imaginai://' .. adventure_id .. '/' .. adv_name) == -1,
    vim.api.nvim_buf_get_name(st.buf))
  mark = #notes
  cmd('ImaginAI adventure duplicate Night fork')
  check('adventure duplicate NAME copies it', wait(function()
    return noted(mark, 'duplicated adventure “The long night” as “Night fork”')
  end), notes_since(mark))
  local fork = vim.tbl_filter(function(a)
    return a.name == 'Night fork'
  end, rq('adventure/list', {}).adventures)[1]
  local main_st = st
  im.resume(fork.id)
  check('the fork opens', wait(function()
    return im.adventure and im.adventure.id == fork.id and vim.api.nvim_get_current_buf() == story.get(fork.id).buf
  end))
  local fst = story.get(fork.id)
  wait(function()
    return #fst.turns == fork.turnCount
  end)
  answer = 1
  mark = #notes
  cmd('ImaginAI adventure restart')
  check('restart asks, naming the adventure and how many turns go', wait(function()
    return asked[#asked]:find('Restart “Night fork”: delete its ' .. fork.turnCount .. ' turns', 1, true) == 1
  end), asked[#asked])
  check('restart leaves only the opening scene', wait(function()
    return noted(mark, 'restarted “Night fork”') and #fst.turns == 1
  end, 20000) and text_of(fst.buf) == rq('adventure/get', { id = fork.id }).openingScene, lines(fst.buf))
  mark = #notes
  cmd('ImaginAI adventure delete')
  check('adventure delete asks, naming it', wait(function()
    return asked[#asked]:find('Delete adventure “Night fork” with its 1 turns', 1, true) == 1
  end), asked[#asked])
  check('the deleted adventure\'s buffer says so', wait(function()
    return noted(mark, 'deleted adventure “Night fork”') and has_line(fst.buf, story.DELETED)
  end), lines(fst.buf))
  mark = #notes
  cmd('ImaginAI continue')
  check('a command in a deleted adventure\'s buffer says it was deleted', noted(mark, '“Night fork” was deleted'),
    notes_since(mark))
  cmd('bwipeout!')
  st = main_st
  im.resume(adventure_id)
  wait(function()
    return im.adventure and im.adventure.id == adventure_id
  end)
  cmd('ImaginAI adventure authorsNotes')
  check('adventure FIELD edits the adventure\'s own copy', wait(function()
    return vim.api.nvim_buf_get_name(0):find('imaginai://adventure/' .. adventure_id .. '/authorsNotes', 1, true) ~= nil
  end))
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'Only in this adventure.' })
  cmd('write')
  check('adventure/update stored it', wait(function()
    return rq('adventure/get', { id = adventure_id }).authorsNotes == 'Only in this adventure.'
  end))
  cmd('bwipeout!')

  -- Live sync: library/changed refreshes what is shown, once per burst
  vim.api.nvim_set_current_buf(st.buf)
  local function deliver(params)
    -- through the client's own path: a framed message decoded and dispatched like the daemon's
    im.client:_dispatch(vim.json.encode({ jsonrpc = '2.0', method = 'library/changed', params = params }))
  end
  local synced = 0
  local au_sync = vim.api.nvim_create_autocmd('User', {
    pattern = 'ImaginAISynced',
    callback = function()
      synced = synced + 1
    end,
  })
  local last = st.turns[#st.turns]
  rq('turn/edit', { id = last.id, text = 'Changed in another window.' })
  local lists_before = sent_by_plugin['turn/list'] or 0
  for _ = 1, 300 do
    deliver({ kind = 'turn', id = last.id, change = 'updated', adventureId = adventure_id })
  end
  check('the story buffer shows a turn changed elsewhere', wait(function()
    return vim.endswith(text_of(st.buf), 'Changed in another window.')
  end, 3000), lines(st.buf))
  check('a burst of 300 notifications refreshes once', synced == 1 and (sent_by_plugin['turn/list'] or 0) == lists_before + 1,
    { synced = synced, turn_lists = (sent_by_plugin['turn/list'] or 0) - lists_before })
  cmd('ImaginAI card')
  cl2 = open_list('imaginai://cards/' .. adventure_id)
  local n_listed = #cl2.entries
  rq('card/create', { adventureId = adventure_id, card = { name = 'Made elsewhere' } })
  deliver({ kind = 'card', id = 'crd_x', change = 'created', adventureId = adventure_id })
  check('the card list refreshes on a card made elsewhere', wait(function()
    return #cl2.entries == n_listed + 1 and has_line(cl2.buf, 'Made elsewhere (other)')
  end, 3000), lines(cl2.buf))
  close_lists()
  -- a card deleted elsewhere while its editor is open: the editor and its text stay, with a warning
  local gone = rq('card/create', { adventureId = adventure_id, card = { name = 'Soon gone' } })
  cmd('ImaginAI card')
  cl2 = open_list('imaginai://cards/' .. adventure_id)
  cursor_to(cl2, gone.id)
  press('<CR>')
  wait(function()
    return vim.api.nvim_buf_get_name(0):find(gone.id, 1, true) ~= nil
  end)
  local gone_buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(gone_buf, -1, -1, false, { 'typed before the delete' })
  rq('card/delete', { id = gone.id })
  mark = #notes
  deliver({ kind = 'card', id = gone.id, change = 'deleted', adventureId = adventure_id })
  check('a card deleted elsewhere: its open editor keeps the text and says so', noted(mark, 'card “Soon gone” was deleted elsewhere')
    and vim.api.nvim_buf_is_valid(gone_buf) and has_line(gone_buf, 'typed before the delete'), notes_since(mark))
  check('and the card list drops it', wait(function()
    return not has_line(cl2.buf, 'Soon gone (other)')
  end, 3000))
  cmd('bwipeout!')
  close_lists()
  vim.api.nvim_set_current_buf(st.buf)
  -- while we stream, the buffer is left alone; it refreshes when the generation ends
  rq('settings/update', { changes = { storytellerDelayMs = 30 } })
  local streamed_chunks = 0
  local au_c = vim.api.nvim_create_autocmd('User', {
    pattern = 'ImaginAIChunk',
    callback = function()
      streamed_chunks = streamed_chunks + 1
    end,
  })
  done = false
  cmd('ImaginAI continue')
  wait(function()
    return streamed_chunks >= 1
  end)
  local first_turn = st.turns[1]
  rq('turn/edit', { id = first_turn.id, text = 'An opening rewritten elsewhere.' })
  local lists_mid = sent_by_plugin['turn/list'] or 0
  local synced_mid = synced
  deliver({ kind = 'turn', id = first_turn.id, change = 'updated', adventureId = adventure_id })
  wait(function()
    return synced > synced_mid
  end, 3000)
  check('a change during our stream does not reload over it', synced > synced_mid and st.pending ~= nil
    and (sent_by_plugin['turn/list'] or 0) == lists_mid)
  check('after the stream the change shows', wait(function()
    return done and has_line(st.buf, 'An opening rewritten elsewhere.')
  end, 20000), lines(st.buf))
  vim.api.nvim_del_autocmd(au_c)
  rq('settings/update', { changes = { storytellerDelayMs = 0 } })
  -- an adventure deleted elsewhere: its buffer says so
  local other = rq('adventure/start', { scenarioId = played_scn.id })
  im.resume(other.id)
  wait(function()
    return story.get(other.id) and vim.api.nvim_get_current_buf() == story.get(other.id).buf
  end)
  local ost = story.get(other.id)
  rq('adventure/delete', { id = other.id })
  deliver({ kind = 'adventure', id = other.id, change = 'deleted', scenarioId = played_scn.id })
  check('an adventure deleted elsewhere: its buffer says so', wait(function()
    return has_line(ost.buf, story.DELETED)
  end, 3000), lines(ost.buf))
  vim.api.nvim_del_autocmd(au_sync)
  cmd('bwipeout!')
  im.resume(adventure_id)
  wait(function()
    return im.adventure and im.adventure.id == adventure_id
  end)
  vim.fn.confirm = real_confirm

  -- A published lorebook with hundreds of entries: the lists stay usable
  local fixtures = os.getenv('IMAGINAI_FIXTURES') or (vim.fn.getcwd() .. '/../shared/fixtures/formats')
  local big = fixtures .. '/aidungeon-story-cards-7-sins-tyrants.json'
  if check('the 324-card fixture is there (IMAGINAI_FIXTURES or ../shared/fixtures/formats)', vim.fn.filereadable(big) == 1, big) then
    local t_import = vim.loop.hrtime()
    mark = #notes
    cmd('ImaginAI import ' .. big)
    check('the big lorebook imports', wait(function()
      return noted(mark, 'imported scenario “.*” with 324 cards')
    end, 20000), notes_since(mark))
    local import_ms = (vim.loop.hrtime() - t_import) / 1e6
    local big_scn = vim.tbl_filter(function(x)
      return x.cardCount == 324
    end, rq('scenario/list', {}).scenarios)[1]
    vim.cmd('enew')
    im.adventure = nil
    im.scenario_id = nil
    cmd('ImaginAI scenarios')
    local bl = open_list('imaginai://scenarios')
    cursor_to(bl, big_scn.id)
    local t_list = vim.loop.hrtime()
    press('c')
    local big_list = open_list('imaginai://cards/' .. big_scn.id, 324)
    local list_ms = (vim.loop.hrtime() - t_list) / 1e6
    check('324 cards: one line each under the header', big_list and vim.api.nvim_buf_line_count(big_list.buf) == 326,
      big_list and vim.api.nvim_buf_line_count(big_list.buf))
    local pick = big_list.entries[300]
    vim.opt.shortmess:append('sS')
    press('gg/\\V' .. vim.fn.escape(pick.name, '\\/') .. '<CR>')
    check('/ finds a card in the list', vim.api.nvim_win_get_cursor(0)[1] >= 3
      and big_list.entries[vim.api.nvim_win_get_cursor(0)[1] - 2].name == pick.name, vim.api.nvim_win_get_cursor(0))
    press('<CR>')
    check('<CR> opens the card found', wait(function()
      return vim.api.nvim_buf_get_name(0):find('imaginai://card/', 1, true) ~= nil
    end))
    cmd('bwipeout!')
    close_lists()
    -- played: the adventure's copies, each once
    im.start_adventure(big_scn.id)
    wait(function()
      return im.adventure and im.adventure.scenarioId == big_scn.id
    end)
    local blank = story.get(im.adventure.id)
    check('a story without an opening scene says how to begin', wait(function()
      for _, m in ipairs(vim.api.nvim_buf_get_extmarks(blank.buf, story.ns, 0, -1, { details = true })) do
        if m[4].virt_text and m[4].virt_text[1][1]:find('No turns yet', 1, true) then
          return lines(blank.buf)[1] == ''
        end
      end
    end))
    cmd('ImaginAI card')
    local played_list = open_list('imaginai://cards/' .. im.adventure.id, 324)
    local names = {}
    local dup = false
    for _, c in ipairs(played_list and played_list.entries or {}) do
      dup = dup or names[c.id]
      names[c.id] = true
    end
    check('while playing, the card list has the adventure\'s 324 cards, none twice', played_list
      and #played_list.entries == 324 and not dup and lines(played_list.buf)[1]:find('^Cards of adventure'),
      played_list and lines(played_list.buf)[1])
    out(string.format('     (324-card import %.0f ms, card list shown in %.0f ms)', import_ms, list_ms))
    close_lists()
    cmd('bwipeout!')
    im.resume(adventure_id)
    wait(function()
      return im.adventure.id == adventure_id
    end)
  end
  st = story.get(adventure_id)

  -- resume through the adventure list
  im.adventure = nil
  cmd('ImaginAI adventures')
  local adv_list = open_list('imaginai://adventures')
  check('the adventure list has a line per adventure', adv_list and #lines(adv_list.buf) == 2 + #adv_list.entries
    and lines(adv_list.buf)[1] == 'Adventures (' .. #adv_list.entries .. ')', adv_list and lines(adv_list.buf))
  cursor_to(adv_list, adventure_id)
  press('<CR>')
  check('<CR> in the adventure list resumes that adventure', wait(function()
    return im.adventure ~= nil and im.adventure.id == adventure_id
  end))
  check('the resumed story shows every turn', wait(function()
    return #st.turns == #turns()
  end))

  -- Live sync for real: two daemons on one database file; a change through the other shows here.
  im.stop()
  im.config.db = tmp .. '/shared.sqlite'
  vim.cmd('enew')
  im.adventure = nil
  cmd('ImaginAI scenarios')
  local shared_list = open_list('imaginai://scenarios')
  local caps = im.client and im.client.server and im.client.server.capabilities or {}
  check('the daemon says it sends library/changed', vim.tbl_contains(caps.notifications or {}, 'library/changed'),
    caps.notifications)
  if shared_list then
    press('<CR>')
    wait(function()
      return im.adventure ~= nil and story.get(im.adventure.id) and #story.get(im.adventure.id).turns >= 1
    end)
    local sst = story.get(im.adventure.id)
    test_direct = true -- the other window's requests are not the plugin's
    local other = rpc.start({ cmd = { bin, 'serve', '--db', im.config.db } })
    other:request_sync('initialize', { clientInfo = { name = 'the other window' } }, 10000)
    other:set_ready()
    other:notify('initialized', {})
    local t_change = vim.loop.hrtime()
    other:request_sync('turn/edit', { id = sst.turns[1].id, text = 'Written in the other window.' }, 10000)
    local seen = wait(function()
      return has_line(sst.buf, 'Written in the other window.')
    end, 2000)
    local sync_ms = (vim.loop.hrtime() - t_change) / 1e6
    check('a turn edited through another daemon on the same database shows in the story buffer', seen, lines(sst.buf))
    check('within 400 ms of the edit (the daemon\'s 200 ms at most, our 50 ms coalescing): ' .. math.floor(sync_ms) .. ' ms',
      seen and sync_ms < 400, sync_ms)
    cmd('ImaginAI scenarios')
    shared_list = open_list('imaginai://scenarios')
    local n_shared = #shared_list.entries
    other:request_sync('scenario/create', { scenario = { name = 'Made in the other window' } }, 10000)
    check('the scenario list shows a scenario made through another daemon', wait(function()
      return #shared_list.entries == n_shared + 1 and has_line(shared_list.buf, 'Made in the other window  (0 cards)')
    end, 2000), lines(shared_list.buf))
    -- `imaginai import` from a shell: one scenario and its 324 cards, one burst, one refresh of the list
    if vim.fn.filereadable(big) == 1 then
      local refreshed = 0
      local au_refresh = vim.api.nvim_create_autocmd('User', {
        pattern = 'ImaginAISynced',
        callback = function()
          refreshed = refreshed + 1
        end,
      })
      local n_before = #shared_list.entries
      vim.fn.system({ bin, 'import', big, '--db', im.config.db })
      check('a scenario imported from a shell shows in the open scenario list', wait(function()
        return #shared_list.entries == n_before + 1 and vim.tbl_filter(function(e)
            return e.cardCount == 324
          end, shared_list.entries)[1] ~= nil
      end, 3000), lines(shared_list.buf))
      check('its 325 notifications were one refresh', refreshed == 1, refreshed)
      vim.api.nvim_del_autocmd(au_refresh)
    end
    close_lists()
    other:request_sync('shutdown', nil, 3000)
    other:notify('exit')
    other:stop(2000)
    test_direct = false
  end
  close_lists()
  im.stop()
  im.config.db = ':memory:'
  im.adventure = nil
  im.ensure()

  -- clean shutdown
  local client = im.client
  im.stop()
  check('shutdown + exit ends the daemon with status 0', wait(function()
    return client.closed
  end, 3000) and client.exit_code == 0, client.exit_code)

  -- the next command starts a new daemon; if it dies, that is a notification
  cmd('ImaginAI adventures')
  check('a command after stop starts the daemon again (a fresh database: no adventures)', wait(function()
    local l = listmod.lists['imaginai://adventures']
    return l and l.shown and lines(l.buf)[3] and lines(l.buf)[3]:find('no adventures', 1, true) ~= nil
  end))
  mark = #notes
  im.client.handle:kill('sigkill')
  check('a daemon that dies is reported', wait(function()
    return noted(mark, 'daemon exited', vim.log.levels.WARN)
  end, 3000) and im.client == nil, notes_since(mark))

  -- a missing executable is a notification
  mark = #notes
  im.config.cmd = tmp .. '/no-such-imaginai'
  cmd('ImaginAI adventures')
  check('a missing executable notifies', noted(mark, 'cannot find', vim.log.levels.ERROR), notes_since(mark))
end

local ok, err = xpcall(run, debug.traceback)
check('the test script ran to the end', ok, err)

-- Every protocol method is reachable from the plugin's commands: a method no command sends any more
-- fails here.
local spec = vim.fn.json_decode(table.concat(vim.fn.readfile('Protocol/openrpc.json'), '\n'))
local unreached = {}
for _, m in ipairs(spec.methods) do
  if not sent_by_plugin[m.name] then
    table.insert(unreached, m.name)
  end
end
check('the commands sent every one of the ' .. #spec.methods .. ' methods of Protocol/openrpc.json', #spec.methods >= 42
  and #unreached == 0, unreached)
local unhandled = {}
for _, n in ipairs(spec['x-notifications'] or {}) do
  if not require('imaginai').notification_handlers[n.name] then
    table.insert(unhandled, n.name)
  end
end
check('the plugin handles every notification openrpc.json says the daemon sends', #(spec['x-notifications'] or {}) >= 2
  and #unhandled == 0, unhandled)
finish()
