-- The card editor's text format: a header of `field: value` lines for the card's name, keys and rules,
-- then the description and the notes, each below a marker line. See :help imaginai-card-format.
--
-- Saving compares every header value, as written, with the value the card was shown with, and sends
-- only the fields that differ: a field the user did not touch is never re-sent, so nothing the daemon
-- stored is rewritten through this format's rendering (names with line breaks, keys with commas).
-- The description and notes are the lines between their markers joined with "\n", so blank lines and
-- white space are kept byte for byte.
local M = {}

M.DESCRIPTION_MARKER = '─── description ───'
M.NOTES_MARKER = '─── notes (never sent to the model) ───'

local LOGIC = { 'andAny', 'andAll', 'notAny', 'notAll' }
local POSITIONS = { 'beforeHistory', 'afterHistory', 'atDepth' }
local TURNS = { 0, 10000 }

-- kind: text | list | bool | int | enum; nullable: an empty value is JSON null; default: shown when a
-- daemon without the rules sends no value; hint: shown as virtual text beside the value, never part of
-- the buffer. A false entry is a blank line between groups.
M.fields = {
  { name = 'name', kind = 'text', required = true },
  { name = 'type', kind = 'text', required = true },
  { name = 'keys', kind = 'list', default = {}, hint = 'comma-separated; /regex/flags' },
  { name = 'secondaryKeys', kind = 'list', default = {}, hint = 'qualify keys, by selectiveLogic' },
  { name = 'selectiveLogic', kind = 'enum', values = LOGIC, default = 'andAny', hint = 'andAny | andAll | notAny | notAll' },
  false,
  { name = 'constant', kind = 'bool', default = false, hint = 'always included, needs no keys' },
  { name = 'enabled', kind = 'bool', default = true, hint = 'false: never fires, kept as it is' },
  { name = 'order', kind = 'int', default = 100, hint = 'higher: kept first, wins its group' },
  { name = 'probability', kind = 'int', range = { 0, 100 }, default = 100, hint = '% chance when fired' },
  { name = 'group', kind = 'text', nullable = true, hint = 'empty: no group' },
  { name = 'scanDepth', kind = 'int', range = { 0, 100 }, nullable = true, hint = 'turns searched; empty: the setting' },
  false,
  { name = 'position', kind = 'enum', values = POSITIONS, default = 'beforeHistory', hint = 'beforeHistory | afterHistory | atDepth' },
  { name = 'depth', kind = 'int', range = TURNS, default = 4, hint = 'turns from the end, for atDepth' },
  { name = 'sticky', kind = 'int', range = TURNS, default = 0, hint = 'turns it stays once fired' },
  { name = 'cooldown', kind = 'int', range = TURNS, default = 0, hint = 'turns before it can fire again' },
  { name = 'delay', kind = 'int', range = TURNS, default = 0, hint = 'turns the story needs first' },
  { name = 'excludeRecursion', kind = 'bool', default = false, hint = 'fired by the story only' },
  { name = 'preventRecursion', kind = 'bool', default = false, hint = 'its text fires no other card' },
}

local by_name = {}
for _, f in ipairs(M.fields) do
  if f then
    by_name[f.name] = f
  end
end
M.by_name = by_name

local WIDTH = 18 -- 'preventRecursion: ' is the longest label

local function split_lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

--- Splits a comma-separated key list; a key written /pattern/flags may contain commas.
function M.parse_keys(s)
  local keys, i, n = {}, 1, #s
  while i <= n do
    while i <= n and s:sub(i, i):match('[%s,]') do
      i = i + 1
    end
    if i > n then
      break
    end
    local j
    if s:sub(i, i) == '/' then
      -- a regex key: up to the next unescaped '/' followed by flags and a comma or the end
      local k = i + 1
      while k <= n do
        local c = s:sub(k, k)
        if c == '\\' then
          k = k + 2
        elseif c == '/' then
          local flags_end = k
          while flags_end + 1 <= n and s:sub(flags_end + 1, flags_end + 1):match('[ism]') do
            flags_end = flags_end + 1
          end
          local rest = s:sub(flags_end + 1)
          if rest:match('^%s*,') or rest:match('^%s*$') then
            j = flags_end
            break
          end
          k = k + 1
        else
          k = k + 1
        end
      end
    end
    if not j then
      j = (s:find(',', i, true) or (n + 1)) - 1
    end
    local key = vim.trim(s:sub(i, j))
    if key ~= '' then
      table.insert(keys, key)
    end
    i = j + 1
  end
  return keys
end

local function render(field, value)
  if value == nil or value == vim.NIL then
    value = field.default
  end
  if value == nil then
    return ''
  end
  if field.kind == 'list' then
    return table.concat(value, ', ')
  elseif field.kind == 'bool' then
    return value and 'true' or 'false'
  end
  -- a header value is one line; the original stays untouched unless this line is edited
  return (tostring(value):gsub('[\r\n]', ' '))
end

--- Converts the value written for `field`. Returns the wire value (vim.NIL for null), or nil and why not.
local function convert(field, raw)
  local v = vim.trim(raw)
  if v == '' and field.nullable then
    return vim.NIL
  end
  if field.kind == 'text' then
    if v == '' then
      return nil, 'must not be empty'
    end
    return v
  elseif field.kind == 'list' then
    return M.parse_keys(v)
  elseif field.kind == 'bool' then
    local b = ({ ['true'] = true, yes = true, on = true, ['false'] = false, no = false, off = false })[v:lower()]
    if b == nil then
      return nil, 'must be true or false; got "' .. v .. '"'
    end
    return b
  elseif field.kind == 'int' then
    local n = v:match('^[+-]?%d+$') and tonumber(v)
    local lo, hi = field.range and field.range[1], field.range and field.range[2]
    local what = lo and string.format('a whole number from %d to %d', lo, hi) or 'a whole number'
    if field.nullable then
      what = what .. ', or empty for the setting'
    end
    if not n or (lo and (n < lo or n > hi)) then
      return nil, 'must be ' .. what .. '; got "' .. v .. '"'
    end
    return n
  elseif field.kind == 'enum' then
    if not vim.tbl_contains(field.values, v) then
      return nil, 'must be one of ' .. table.concat(field.values, ', ') .. '; got "' .. v .. '"'
    end
    return v
  end
end

--- A header line's field name and value (white space around the value left out).
function M.header_line(line)
  return line:match('^%s*(%a+):%s*(.-)%s*$')
end

--- The editor for `card`: { lines, notes_marker, shown } where shown holds each header value as written.
function M.form(card)
  local lines, shown = {}, {}
  for _, f in ipairs(M.fields) do
    if f then
      local line = string.format('%-' .. WIDTH .. 's%s', f.name .. ':', render(f, card[f.name])):gsub('%s+$', '')
      table.insert(lines, line)
      -- read back as a save reads it, so a value the user left alone compares equal
      shown[f.name] = select(2, M.header_line(line))
    else
      table.insert(lines, '')
    end
  end
  table.insert(lines, M.DESCRIPTION_MARKER)
  vim.list_extend(lines, split_lines(card.description))
  -- The notes begin after the last notes marker, so a marker line inside the description is harmless;
  -- one inside the notes is made impossible by lengthening the marker.
  local notes = split_lines(card.notes)
  local marker = M.NOTES_MARKER
  while vim.tbl_contains(notes, marker) do
    marker = marker .. '─'
  end
  table.insert(lines, marker)
  vim.list_extend(lines, notes)
  return {
    lines = lines,
    notes_marker = marker,
    shown = shown,
    description = card.description or '',
    notes = card.notes or '',
  }
end

--- The card/update changes for the edited `lines` of `form`: a table with only the fields that differ
--- (empty when nothing changed), or nil and a message naming the line and field that is wrong.
function M.changes(form, lines)
  local desc_at
  for i, line in ipairs(lines) do
    if line == M.DESCRIPTION_MARKER then
      desc_at = i
      break
    end
  end
  if not desc_at then
    return nil, 'the line "' .. M.DESCRIPTION_MARKER .. '" is missing (the description follows it)'
  end
  local notes_at
  for i = #lines, desc_at + 1, -1 do
    if lines[i] == form.notes_marker then
      notes_at = i
      break
    end
  end
  if not notes_at then
    return nil, 'the line "' .. form.notes_marker .. '" is missing (the notes follow it)'
  end

  local changes, seen = {}, {}
  for i = 1, desc_at - 1 do
    local line = lines[i]
    if vim.trim(line) ~= '' and not line:match('^%s*#') then
      local name, raw = M.header_line(line)
      local field = name and by_name[name]
      if not field then
        return nil, string.format('line %d: expected "field: value" with a field of %s; got "%s"', i,
          table.concat(vim.tbl_map(function(f)
            return f.name
          end, vim.tbl_filter(function(f)
            return f
          end, M.fields)), ', '), line)
      end
      if seen[name] then
        return nil, string.format('line %d: %s is given twice (also on line %d)', i, name, seen[name])
      end
      seen[name] = i
      if raw ~= form.shown[name] then
        local value, why = convert(field, raw)
        if value == nil then
          return nil, string.format('line %d: %s %s', i, name, why)
        end
        changes[name] = value
      end
    end
  end

  local description = table.concat(vim.list_slice(lines, desc_at + 1, notes_at - 1), '\n')
  if description ~= form.description then
    changes.description = description
  end
  local notes = table.concat(vim.list_slice(lines, notes_at + 1), '\n')
  if notes ~= form.notes then
    changes.notes = notes
  end
  return changes
end

--- How a card reads in a list: name, type, and the rules that change whether it fires at all.
function M.label(card)
  local flags = {}
  if card.constant then
    table.insert(flags, 'constant')
  end
  if card.enabled == false then
    table.insert(flags, 'disabled')
  end
  local label = card.name .. ' (' .. card.type .. ')'
  if #flags > 0 then
    label = label .. '  [' .. table.concat(flags, ', ') .. ']'
  end
  return label
end

return M
