-- Floating windows, scratch buffers that save on :w, and the small text formats they use.
local M = {}

function M.notify(msg, level)
  vim.notify('ImaginAI: ' .. msg, level or vim.log.levels.INFO)
end

function M.split_lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

--- Shows lines in a floating window; q or <Esc> closes it. Returns buf, win.
function M.float(lines, opts)
  opts = opts or {}
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
  vim.api.nvim_buf_set_option(buf, 'filetype', opts.filetype or 'imaginai-float')
  local width = 20
  for _, l in ipairs(lines) do
    width = math.max(width, vim.fn.strdisplaywidth(l))
  end
  local columns, rows = vim.o.columns, vim.o.lines
  width = math.min(width + 1, math.max(20, columns - 6))
  local height = math.min(#lines, math.max(3, rows - 6))
  local win = vim.api.nvim_open_win(buf, true, {
    relative = 'editor',
    row = math.max(0, math.floor((rows - height) / 2) - 1),
    col = math.max(0, math.floor((columns - width) / 2)),
    width = width,
    height = height,
    style = 'minimal',
    border = 'rounded',
  })
  vim.api.nvim_win_set_option(win, 'wrap', true)
  for _, key in ipairs({ 'q', '<Esc>' }) do
    vim.api.nvim_buf_set_keymap(buf, 'n', key, '<cmd>close<CR>', { noremap = true, silent = true, nowait = true })
  end
  return buf, win
end

--- Opens a scratch buffer named `name` in a split. On :w, on_write(lines, done) is called;
--- it calls done(true) once the daemon stored the change (the buffer becomes unmodified).
function M.scratch(name, lines, on_write, opts)
  opts = opts or {}
  local old = vim.fn.bufnr(name)
  if old ~= -1 then
    pcall(vim.api.nvim_buf_delete, old, { force = true })
  end
  local buf = vim.api.nvim_create_buf(false, false)
  vim.api.nvim_buf_set_name(buf, name)
  vim.api.nvim_buf_set_option(buf, 'buftype', 'acwrite')
  vim.api.nvim_buf_set_option(buf, 'bufhidden', 'wipe')
  vim.api.nvim_buf_set_option(buf, 'swapfile', false)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.api.nvim_buf_set_option(buf, 'modified', false)
  if opts.filetype then
    vim.api.nvim_buf_set_option(buf, 'filetype', opts.filetype)
  end
  vim.api.nvim_create_autocmd('BufWriteCmd', {
    buffer = buf,
    callback = function()
      local current = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
      local ok, err = pcall(on_write, current, function(saved)
        if saved and vim.api.nvim_buf_is_valid(buf) then
          vim.api.nvim_buf_set_option(buf, 'modified', false)
        end
      end)
      if not ok then
        M.notify(tostring(err), vim.log.levels.ERROR)
      end
    end,
  })
  vim.cmd('split')
  vim.api.nvim_win_set_buf(0, buf)
  return buf
end

-- Card scratch format:
--   name: Mirel Vantas
--   type: character
--   keys: Mirel, keeper, /vant(a|e)s/i
--   description:
--   <the description, any number of lines>
function M.card_lines(card)
  local lines = {
    'name: ' .. (card.name or ''),
    'type: ' .. (card.type or ''),
    'keys: ' .. table.concat(card.keys or {}, ', '),
    'description:',
  }
  vim.list_extend(lines, M.split_lines(card.description or ''))
  return lines
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

--- Parses the card scratch format. Returns changes, or nil and an error message.
function M.parse_card(lines)
  local fields, desc_at = {}, nil
  for i, line in ipairs(lines) do
    if line:match('^description:%s*$') then
      desc_at = i
      break
    end
    local k, v = line:match('^(%a+):%s?(.*)$')
    if k == 'name' or k == 'type' or k == 'keys' then
      fields[k] = v
    elseif vim.trim(line) ~= '' then
      return nil, 'line ' .. i .. ': expected "name:", "type:", "keys:" or "description:"'
    end
  end
  if not desc_at then
    return nil, 'no "description:" line'
  end
  if not fields.name or vim.trim(fields.name) == '' then
    return nil, 'the card needs a name'
  end
  local desc = vim.list_slice(lines, desc_at + 1)
  while #desc > 0 and vim.trim(desc[#desc]) == '' do
    table.remove(desc)
  end
  return {
    name = vim.trim(fields.name),
    type = vim.trim(fields.type or ''),
    keys = M.parse_keys(fields.keys or ''),
    description = table.concat(desc, '\n'),
  }
end

--- Pretty JSON with sorted keys (for exported files). Values decoded with JSON nulls as vim.NIL.
function M.json_pretty(v, indent)
  indent = indent or ''
  local inner = indent .. '  '
  if type(v) == 'table' and v ~= vim.NIL then
    local is_dict = getmetatable(v) == getmetatable(vim.empty_dict()) and next(v) == nil
    if not is_dict and next(v) ~= nil and not vim.tbl_islist(v) then
      is_dict = true
    end
    if is_dict then
      local keys = vim.tbl_keys(v)
      table.sort(keys)
      if #keys == 0 then
        return '{}'
      end
      local parts = {}
      for _, k in ipairs(keys) do
        table.insert(parts, inner .. vim.json.encode(tostring(k)) .. ': ' .. M.json_pretty(v[k], inner))
      end
      return '{\n' .. table.concat(parts, ',\n') .. '\n' .. indent .. '}'
    end
    if #v == 0 then
      return '[]'
    end
    local parts = {}
    for _, x in ipairs(v) do
      table.insert(parts, inner .. M.json_pretty(x, inner))
    end
    return '[\n' .. table.concat(parts, ',\n') .. '\n' .. indent .. ']'
  end
  return vim.json.encode(v)
end

return M
