# The top supervisor, one_for_one, with the book's children in the book's order.
# It holds no state and does no work of its own.
defmodule Todo.System do
  def start_link do
    Supervisor.start_link(
      [Todo.Metrics, Todo.Database, Todo.Cache, Todo.Web],
      strategy: :one_for_one
    )
  end
end
