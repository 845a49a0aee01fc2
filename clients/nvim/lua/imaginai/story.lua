-- The story buffer of an adventure: its turns, and the text being streamed for a running generation.
local ui = require('imaginai.ui')

local M = {}

M.ns = vim.api.nvim_create_namespace('imaginai')

--- adventure id -> {adventure, buf, turns, ranges, pending}
M.stories = {}

function M.get(adventure_id)
  return M.stories[adventure_id]
end

local function ensure_state(adventure)
  local st = M.stories[adventure.id]
  if not st then
    st = { turns = {}, ranges = {} }
    M.stories[adventure.id] = st
  end
  st.adventure = adventure
  return st
end

--- How a turn reads in the buffer: player turns are quoted with "> ".
function M.turn_lines(turn)
  local lines = ui.split_lines(turn.text)
  if turn.role ~= 'player' then
    return lines, false
  end
  if turn.action == 'say' then
    lines[1] = '"' .. lines[1]
    lines[#lines] = lines[#lines] .. '"'
  end
  for i, l in ipairs(lines) do
    lines[i] = '> ' .. l
  end
  return lines, true
end

local function set_lines(st, first, last, lines)
  local buf = st.buf
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(buf, first, last, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'modified', false)
end

-- Keeps windows whose cursor was on the last line following the end of the story.
local function follow(buf, fn)
  local before = vim.api.nvim_buf_line_count(buf)
  local wins = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf and vim.api.nvim_win_get_cursor(win)[1] >= before then
      table.insert(wins, win)
    end
  end
  fn()
  local after = vim.api.nvim_buf_line_count(buf)
  for _, win in ipairs(wins) do
    pcall(vim.api.nvim_win_set_cursor, win, { after, 0 })
  end
end

--- Redraws the whole buffer from st.turns and st.pending.
function M.render(st)
  if not (st.buf and vim.api.nvim_buf_is_valid(st.buf)) then
    return
  end
  local lines, marks, ranges = {}, {}, {}
  local function add(turn_lines, is_player)
    if #lines > 0 then
      table.insert(lines, '')
    end
    local first = #lines
    for _, l in ipairs(turn_lines) do
      table.insert(lines, l)
      if is_player then
        table.insert(marks, #lines - 1)
      end
    end
    return first, #lines - 1
  end
  local pending = st.pending
  for _, turn in ipairs(st.turns) do
    if not (pending and pending.replace_id == turn.id) then
      local tl, is_player = M.turn_lines(turn)
      local first, last = add(tl, is_player)
      table.insert(ranges, { first = first, last = last, turn = turn })
    end
  end
  if pending then
    if pending.player then
      local tl = M.turn_lines({ role = 'player', action = pending.player.action, text = pending.player.text })
      add(tl, true)
    end
    if #lines > 0 then
      table.insert(lines, '')
    end
    pending.first = #lines
    vim.list_extend(lines, ui.split_lines(pending.text))
  end
  local deleted_row
  if st.deleted then
    if #lines > 0 then
      table.insert(lines, '')
    end
    table.insert(lines, M.DELETED)
    deleted_row = #lines - 1
  end
  st.ranges = ranges
  follow(st.buf, function()
    set_lines(st, 0, -1, lines)
  end)
  vim.api.nvim_buf_clear_namespace(st.buf, M.ns, 0, -1)
  for _, row in ipairs(marks) do
    vim.api.nvim_buf_add_highlight(st.buf, M.ns, 'ImaginAIPlayer', row, 0, -1)
  end
  if deleted_row then
    vim.api.nvim_buf_add_highlight(st.buf, M.ns, 'ErrorMsg', deleted_row, 0, -1)
  end
  if #lines == 0 then
    -- a scenario without an opening scene (a card book imported as one) starts blank: say how to begin
    vim.api.nvim_buf_set_extmark(st.buf, M.ns, 0, 0, {
      virt_text = { { 'No turns yet: i acts (:ImaginAI do …), s says, C lets the story begin', 'Comment' } },
    })
  end
  -- "version 2/3" after a turn that was retried or swiped, as virtual text (not part of the story)
  for _, range in ipairs(ranges) do
    local mark = st.version_marks and st.version_marks[range.turn.id]
    if mark then
      vim.api.nvim_buf_set_extmark(st.buf, M.ns, range.last, 0, {
        virt_text = { { '  ‹ ' .. mark .. ' ›  [v ]v', 'Comment' } },
      })
    end
  end
end

M.DELETED = '── This adventure was deleted (elsewhere, or by a command); :ImaginAI adventures opens another ──'

--- Appends streamed text: only the lines of the pending text are rewritten.
function M.append_chunk(st, text)
  local pending = st.pending
  pending.text = pending.text .. text
  if not (st.buf and vim.api.nvim_buf_is_valid(st.buf) and pending.first) then
    return
  end
  follow(st.buf, function()
    set_lines(st, pending.first, -1, ui.split_lines(pending.text))
  end)
end

--- Inserts or replaces a turn (by id), keeping the list in index order.
function M.upsert(st, turn)
  if not turn then
    return
  end
  for i, t in ipairs(st.turns) do
    if t.id == turn.id then
      st.turns[i] = turn
      return
    end
  end
  table.insert(st.turns, turn)
  table.sort(st.turns, function(a, b)
    return a.index < b.index
  end)
end

--- The turn displayed at buffer line `row` (1-based), or nil.
function M.turn_at(st, row)
  local r = row - 1
  local best
  for _, range in ipairs(st.ranges or {}) do
    if r >= range.first and r <= range.last then
      return range.turn
    end
    if r > range.last then
      best = range.turn -- on a blank line after a turn: that turn
    end
  end
  return best
end

--- The buffer of an adventure, created (and filled) on demand.
function M.buffer(adventure, setup_maps)
  local st = ensure_state(adventure)
  if st.buf and vim.api.nvim_buf_is_valid(st.buf) then
    return st
  end
  local buf = vim.api.nvim_create_buf(true, true)
  local name = 'imaginai://' .. adventure.id .. '/' .. (adventure.name or '')
  local old = vim.fn.bufnr('^' .. vim.fn.escape(name, '\\/.*$^~[]') .. '$')
  if old ~= -1 then
    pcall(vim.api.nvim_buf_delete, old, { force = true })
  end
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.api.nvim_buf_set_option(buf, 'buftype', 'nofile')
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'hide')
  vim.api.nvim_buf_set_option(buf, 'swapfile', false)
  vim.api.nvim_buf_set_option(buf, 'filetype', 'imaginai')
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_var(buf, 'imaginai_adventure', adventure.id)
  st.buf = buf
  if setup_maps then
    setup_maps(buf)
  end
  M.render(st)
  return st
end

--- Takes in a changed Adventure (renamed here or elsewhere): the buffer name follows the name.
function M.set_adventure(st, adventure)
  st.adventure = adventure
  if st.buf and vim.api.nvim_buf_is_valid(st.buf) then
    local old_name = vim.api.nvim_buf_get_name(st.buf)
    local new_name = 'imaginai://' .. adventure.id .. '/' .. (adventure.name or '')
    if old_name ~= new_name and pcall(vim.api.nvim_buf_set_name, st.buf, new_name) then
      -- renaming leaves an empty alternate buffer under the old name; it is not the story
      local stray = vim.fn.bufnr('^' .. vim.fn.escape(old_name, '\\/.*$^~[]') .. '$')
      if stray ~= -1 and stray ~= st.buf then
        pcall(vim.api.nvim_buf_delete, stray, { force = true })
      end
    end
  end
end

--- Shows the story buffer in a window: the one already showing it, else the current one.
function M.show(st)
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == st.buf then
      vim.api.nvim_set_current_win(win)
      return
    end
  end
  if not pcall(vim.api.nvim_win_set_buf, 0, st.buf) then
    vim.cmd('split')
    vim.api.nvim_win_set_buf(0, st.buf)
  end
  pcall(vim.api.nvim_win_set_option, 0, 'wrap', true)
  pcall(vim.api.nvim_win_set_option, 0, 'linebreak', true)
  local n = vim.api.nvim_buf_line_count(st.buf)
  pcall(vim.api.nvim_win_set_cursor, 0, { n, 0 })
end

return M
