# One database worker: writes and reads whole lists as term_to_binary files, one file per key
# in this node's folder. Local only; other nodes reach it through Todo.Database.store_local/2.
defmodule Todo.DatabaseWorker do
  use GenServer

  def start_link({db_folder, worker_id}) do
    GenServer.start_link(__MODULE__, db_folder, name: via_tuple(worker_id))
  end

  def store(worker_id, key, data) do
    GenServer.call(via_tuple(worker_id), {:store, key, data})
  end

  def get(worker_id, key) do
    GenServer.call(via_tuple(worker_id), {:get, key})
  end

  defp via_tuple(worker_id), do: {:via, Registry, {Todo.DatabaseRegistry, worker_id}}

  @impl GenServer
  def init(db_folder) do
    IO.puts("Starting database worker.")
    {:ok, db_folder}
  end

  @impl GenServer
  def handle_call({:store, key, data}, _from, db_folder) do
    key
    |> file_name(db_folder)
    |> File.write!(:erlang.term_to_binary(data))

    {:reply, :ok, db_folder}
  end

  @impl GenServer
  def handle_call({:get, key}, _from, db_folder) do
    data =
      case File.read(file_name(key, db_folder)) do
        {:ok, contents} -> :erlang.binary_to_term(contents)
        _ -> nil
      end

    {:reply, data, db_folder}
  end

  defp file_name(key, db_folder), do: Path.join(db_folder, to_string(key))
end
