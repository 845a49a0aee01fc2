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
  -- What is typed here is stored byte for byte: no indentation or wrapping may add characters
  -- (set after the filetype, whose plugins could turn them on).
  -- formatoptions and comments: no comment leader inserted on <CR> or taken out by J.
  for option, value in pairs({ autoindent = false, smartindent = false, cindent = false, indentexpr = '',
    textwidth = 0, formatoptions = '', comments = '' }) do
    vim.api.nvim_buf_set_option(buf, option, value)
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
