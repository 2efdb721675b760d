# The project's own Elixir todo app: Elixir in Action's chapter 12 design (`todo_distributed`),
# written without Hex dependencies so that it builds offline with Debian's Elixir 1.14.
defmodule Todo.MixProject do
  use Mix.Project

  def project do
    [
      app: :todo,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      deps: []
    ]
  end

  def application do
    [extra_applications: [:logger], mod: {Todo.Application, []}]
  end
end
