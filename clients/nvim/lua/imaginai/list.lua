-- List buffers: one line per entry under a header line that names what is listed and the keys.
-- Used instead of vim.ui.select for lists that can hold thousands of entries (cards, scenarios,
-- adventures): Neovim 0.7's built-in vim.ui.select is inputlist(), which pages long lists behind
-- "-- More --" and cannot be searched. Here `/` searches, the cursor picks, and the list is rebuilt in
-- place when the library changes.
local M = {}

--- name -> list state, for the lists open now (refreshed by library/changed)
M.lists = {}

local HEADER_LINES = 2 -- the title line and the keys line

local ns = vim.api.nvim_create_namespace('imaginai-list')

--- The entry under the cursor of the list in the current window, or nil.
function M.entry_at_cursor(lst)
  local row = vim.api.nvim_win_get_cursor(0)[1]
  return lst.entries[row - HEADER_LINES], row - HEADER_LINES
end

local function keys_line(actions)
  local parts = {}
  for _, a in ipairs(actions) do
    table.insert(parts, a.key .. ' ' .. a.desc)
  end
  table.insert(parts, 'q close')
  return table.concat(parts, ' · ')
end

--- Redraws the list from lst.entries, keeping the cursor on the same entry when it is still there.
function M.render(lst)
  local buf = lst.buf
  if not (buf and vim.api.nvim_buf_is_valid(buf)) then
    return
  end
  local keep_id
  local wins = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf then
      local row = vim.api.nvim_win_get_cursor(win)[1]
      table.insert(wins, { win = win, row = row })
      local old = lst.shown and lst.shown[row - HEADER_LINES]
      keep_id = keep_id or (old and old.id)
    end
  end
  local lines = { lst.title(lst.entries), keys_line(lst.actions) }
  for _, e in ipairs(lst.entries) do
    table.insert(lines, (lst.format(e):gsub('\n', ' ')))
  end
  if #lst.entries == 0 then
    table.insert(lines, lst.empty or '(none)')
  end
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'modified', false)
  vim.api.nvim_buf_clear_namespace(buf, ns, 0, -1)
  vim.api.nvim_buf_add_highlight(buf, ns, 'Title', 0, 0, -1)
  vim.api.nvim_buf_add_highlight(buf, ns, 'Comment', 1, 0, -1)
  lst.shown = lst.entries
  for _, w in ipairs(wins) do
    local row = w.row
    for i, e in ipairs(lst.entries) do
      if keep_id and e.id == keep_id then
        row = i + HEADER_LINES
      end
    end
    row = math.max(HEADER_LINES + 1, math.min(row, #lines))
    pcall(vim.api.nvim_win_set_cursor, w.win, { row, 0 })
  end
end

--- Asks the list's loader for its entries again and redraws it.
function M.refresh(lst)
  if not (lst.buf and vim.api.nvim_buf_is_valid(lst.buf)) then
    M.lists[lst.name] = nil
    return
  end
  lst.loading = true
  lst.load(function(entries)
    lst.loading = false
    lst.entries = entries
    M.render(lst)
  end)
end

--- Refreshes every open list.
function M.refresh_all()
  for _, lst in pairs(M.lists) do
    M.refresh(lst)
  end
end

--- Opens (or reuses) the list buffer `spec.name` in a split and loads it.
--- spec: name (buffer name), title(entries) -> string, format(entry) -> string, load(cb(entries)),
---       actions: { {key, desc, fn(entry, lst)} } where fn gets the entry under the cursor (nil on the
---       header: only actions with `any = true` run there), empty: the line shown for no entries.
function M.open(spec)
  local lst = M.lists[spec.name]
  if lst and lst.buf and vim.api.nvim_buf_is_valid(lst.buf) then
    for k, v in pairs(spec) do
      lst[k] = v
    end
  else
    lst = vim.tbl_extend('force', { entries = {} }, spec)
    local buf = vim.api.nvim_create_buf(false, true)
    lst.buf = buf
    pcall(vim.api.nvim_buf_set_name, buf, spec.name)
    vim.api.nvim_buf_set_option(buf, 'buftype', 'nofile')
    vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
    vim.api.nvim_buf_set_option(buf, 'swapfile', false)
    vim.api.nvim_buf_set_option(buf, 'filetype', 'imaginai-list')
    vim.api.nvim_buf_set_option(buf, 'modifiable', false)
    vim.api.nvim_create_autocmd('BufWipeout', {
      buffer = buf,
      callback = function()
        if M.lists[lst.name] == lst then
          M.lists[lst.name] = nil
        end
      end,
    })
    M.lists[spec.name] = lst
  end
  local buf = lst.buf
  local function run(action)
    local entry = M.entry_at_cursor(lst)
    if not entry and not action.any then
      require('imaginai.ui').notify('put the cursor on an entry first', vim.log.levels.WARN)
      return
    end
    action.fn(entry, lst)
  end
  for _, action in ipairs(lst.actions) do
    vim.keymap.set('n', action.key, function()
      run(action)
    end, { buffer = buf, nowait = true, silent = true, desc = action.desc })
  end
  vim.keymap.set('n', 'q', function()
    -- the last window cannot be closed: then the list buffer goes instead
    if not pcall(vim.cmd, 'close') then
      vim.cmd('bwipeout')
    end
  end, { buffer = buf, nowait = true, silent = true })
  local shown = false
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf then
      vim.api.nvim_set_current_win(win)
      shown = true
    end
  end
  if not shown then
    vim.cmd('split')
    vim.api.nvim_win_set_buf(0, buf)
  end
  vim.api.nvim_win_set_option(0, 'cursorline', true)
  vim.api.nvim_win_set_option(0, 'wrap', false)
  M.refresh(lst)
  return lst
end

return M
