-- imaginai.nvim: defines :ImaginAI. The daemon is started on first use, not at startup.
if vim.g.loaded_imaginai then
  return
end
vim.g.loaded_imaginai = 1

if vim.fn.has('nvim-0.7') ~= 1 then
  vim.notify('imaginai.nvim needs Neovim 0.7 or later', vim.log.levels.ERROR)
  return
end

vim.cmd('highlight default link ImaginAIPlayer Special')

vim.api.nvim_create_user_command('ImaginAI', function(opts)
  local imaginai = require('imaginai')
  if not imaginai._setup_done then
    imaginai.setup({})
  end
  imaginai.command(opts.args)
end, {
  nargs = '*',
  desc = 'ImaginAI interactive fiction',
  complete = function(arglead, cmdline)
    return require('imaginai').complete(arglead, cmdline)
  end,
})
