-- JSON-RPC 2.0 client with LSP framing over the stdin/stdout of a spawned process.
--
-- Why vim.loop.spawn and our own framing (and not vim.lsp.rpc.start or jobstart):
--   * vim.lsp.rpc.start is LSP-shaped and its signature changed between Neovim 0.7 and 0.10;
--   * jobstart() hands stdout over split into lines (and turns NUL into newline), so a byte-counted
--     framing has to glue lines back together; vim.loop pipes give the raw bytes, which is what
--     Content-Length counts.
-- vim.loop exists on 0.7 (and is an alias of vim.uv later). Everything the pipe delivers is parsed
-- in the libuv callback and handed to the main loop with vim.schedule, in arrival order, so a
-- story/chunk notification is always handled before the response that follows it.
local uv = vim.loop

local M = {}

local Client = {}
Client.__index = Client

local function strip_nil(v)
  if v == vim.NIL then
    return nil
  end
  if type(v) == 'table' then
    for k, x in pairs(v) do
      if x == vim.NIL then
        v[k] = nil
      elseif type(x) == 'table' then
        strip_nil(x)
      end
    end
  end
  return v
end
M.strip_nil = strip_nil

--- Encodes params: an empty Lua table is sent as {} (every method takes named params).
local function encode(msg)
  if msg.params ~= nil and type(msg.params) == 'table' and next(msg.params) == nil then
    msg.params = vim.empty_dict()
  end
  return vim.json.encode(msg)
end

--- Starts the process.
--- opts: cmd (list: executable and args), on_notification(method, params),
---       on_exit(code, signal), on_stderr(text)
--- Returns a client, or nil and an error message.
function M.start(opts)
  local self = setmetatable({
    pending = {}, -- id -> {callback, raw, method}
    next_id = 1,
    buffer = '',
    queue = {}, -- requests waiting for initialize
    ready = false,
    closed = false,
    opts = opts,
  }, Client)
  self.stdin = uv.new_pipe(false)
  self.stdout = uv.new_pipe(false)
  self.stderr = uv.new_pipe(false)
  local cmd = opts.cmd
  local handle, pid_or_err = uv.spawn(cmd[1], {
    args = vim.list_slice(cmd, 2),
    stdio = { self.stdin, self.stdout, self.stderr },
  }, function(code, signal)
    self.closed = true
    self.exit_code = code
    for _, p in ipairs({ self.stdin, self.stdout, self.stderr }) do
      if not p:is_closing() then
        p:close()
      end
    end
    if self.handle and not self.handle:is_closing() then
      self.handle:close()
    end
    vim.schedule(function()
      self:_fail_all('imaginai exited (status ' .. tostring(code) .. ')')
      if opts.on_exit then
        opts.on_exit(code, signal)
      end
    end)
  end)
  if not handle then
    for _, p in ipairs({ self.stdin, self.stdout, self.stderr }) do
      p:close()
    end
    return nil, 'cannot start ' .. tostring(cmd[1]) .. ': ' .. tostring(pid_or_err)
  end
  self.handle = handle
  self.pid = pid_or_err
  self.stdout:read_start(function(err, data)
    if err or not data then
      return
    end
    self:_feed(data)
  end)
  self.stderr:read_start(function(_, data)
    if data and opts.on_stderr then
      vim.schedule(function()
        opts.on_stderr(data)
      end)
    end
  end)
  return self
end

-- Runs in the libuv callback: splits the byte stream into messages.
function Client:_feed(data)
  self.buffer = self.buffer .. data
  while true do
    local header_end = self.buffer:find('\r\n\r\n', 1, true)
    if not header_end then
      return
    end
    local header = self.buffer:sub(1, header_end - 1)
    local length = tonumber(header:lower():match('content%-length:%s*(%d+)'))
    if not length then
      -- Unusable header from the server: drop it and resynchronise.
      self.buffer = self.buffer:sub(header_end + 4)
    else
      local body_start = header_end + 4
      if #self.buffer < body_start + length - 1 then
        return
      end
      local body = self.buffer:sub(body_start, body_start + length - 1)
      self.buffer = self.buffer:sub(body_start + length)
      vim.schedule(function()
        self:_dispatch(body)
      end)
    end
  end
end

function Client:_dispatch(body)
  local ok, msg = pcall(vim.json.decode, body)
  if not ok or type(msg) ~= 'table' then
    return
  end
  if msg.method ~= nil then
    if msg.id == nil or msg.id == vim.NIL then
      if self.opts.on_notification then
        local ok, e = pcall(self.opts.on_notification, msg.method, strip_nil(msg.params) or {})
        if not ok and self.opts.on_error then
          self.opts.on_error(e)
        end
      end
    end
    return
  end
  local id = msg.id
  local p = id ~= nil and self.pending[id]
  if not p then
    return
  end
  self.pending[id] = nil
  local result = msg.result
  if not p.raw then
    result = strip_nil(result)
  end
  local ok, e
  if msg.error ~= nil and msg.error ~= vim.NIL then
    ok, e = pcall(p.callback, strip_nil(msg.error), nil)
  else
    ok, e = pcall(p.callback, nil, result)
  end
  if not ok and self.opts.on_error then
    self.opts.on_error(e)
  end
end

function Client:_fail_all(message)
  local pending = self.pending
  self.pending = {}
  local failed = {}
  for _, p in pairs(pending) do
    table.insert(failed, p)
  end
  vim.list_extend(failed, self.queue)
  self.queue = {}
  for _, p in ipairs(failed) do
    local ok, e = pcall(p.callback, { code = -32603, message = message }, nil)
    if not ok and self.opts.on_error then
      self.opts.on_error(e)
    end
  end
  self.queue = {}
end

function Client:_write(msg)
  if self.closed or self.stdin:is_closing() then
    return false
  end
  local body = encode(msg)
  self.stdin:write('Content-Length: ' .. #body .. '\r\n\r\n' .. body)
  return true
end

--- Sends a request; callback(err, result) runs on the main loop. Returns the request id.
--- opts.raw keeps JSON nulls in the result as vim.NIL.
function Client:request(method, params, callback, opts)
  local id = self.next_id
  self.next_id = id + 1
  local entry = { callback = callback or function() end, raw = opts and opts.raw, method = method }
  if self.closed then
    vim.schedule(function()
      entry.callback({ code = -32603, message = 'imaginai is not running' }, nil)
    end)
    return id
  end
  local msg = { jsonrpc = '2.0', id = id, method = method, params = params }
  if not self.ready and method ~= 'initialize' and not (opts and opts.force) then
    entry.msg = msg
    table.insert(self.queue, entry)
    return id
  end
  self.pending[id] = entry
  self:_write(msg)
  return id
end

function Client:notify(method, params)
  return self:_write({ jsonrpc = '2.0', method = method, params = params })
end

function Client:cancel(id)
  for i, q in ipairs(self.queue) do
    if q.msg.id == id then
      table.remove(self.queue, i)
      q.callback({ code = -32800, message = 'Request cancelled before it was sent' }, nil)
      return
    end
  end
  self:notify('$/cancelRequest', { id = id })
end

--- Marks the session initialized and sends the requests queued meanwhile.
function Client:set_ready()
  self.ready = true
  local queue = self.queue
  self.queue = {}
  for _, q in ipairs(queue) do
    self.pending[q.msg.id] = q
    self:_write(q.msg)
  end
end

--- Blocks (processing events) until the request is answered or timeout_ms passes.
function Client:request_sync(method, params, timeout_ms)
  local done, err, res = false, nil, nil
  self:request(method, params, function(e, r)
    done, err, res = true, e, r
  end)
  vim.wait(timeout_ms or 5000, function()
    return done
  end, 10)
  if not done then
    return nil, { code = -32603, message = method .. ' timed out' }
  end
  return res, err
end

function Client:is_running()
  return not self.closed
end

--- Closes stdin and, if it does not exit by itself within timeout_ms, kills the process.
function Client:stop(timeout_ms)
  if not self.closed and not self.stdin:is_closing() then
    self.stdin:close()
  end
  vim.wait(timeout_ms or 1000, function()
    return self.closed
  end, 10)
  if not self.closed and self.handle and not self.handle:is_closing() then
    self.handle:kill('sigterm')
  end
end

M.Client = Client
return M
