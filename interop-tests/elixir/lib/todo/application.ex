# The OTP application: reads the book's configuration from the environment (what the book's
# config/runtime.exs does) and starts Todo.System. It must not start anything else.
defmodule Todo.Application do
  use Application

  @impl Application
  def start(_type, _args) do
    configure()
    Todo.System.start_link()
  end

  # TODO_HTTP_PORT (default 5454), TODO_DB_FOLDER (default "./persist") and TODO_SERVER_EXPIRY
  # (seconds; 60 s as in the book's prod config) become the :todo app env; a non-integer crashes
  # the boot, as in the book.
  defp configure do
    http_port = String.to_integer(System.get_env("TODO_HTTP_PORT", "5454"))
    db_folder = System.get_env("TODO_DB_FOLDER", "./persist")
    expiry = :timer.seconds(String.to_integer(System.get_env("TODO_SERVER_EXPIRY", "60")))

    Application.put_env(:todo, :http_port, http_port)
    Application.put_env(:todo, :database, db_folder: db_folder)
    Application.put_env(:todo, :todo_server_expiry, expiry)
  end
end
