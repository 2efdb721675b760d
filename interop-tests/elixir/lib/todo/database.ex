# The database: stores a list on every visible node with :rpc.multicall (store_local/2) and reads
# this node's replica only (get/1). The book pools workers with poolboy (a Hex package); here
# three workers are chosen by the key's hash (the book's chapter 9 design), so one key is always
# written by one worker, in order.
defmodule Todo.Database do
  @pool_size 3

  def child_spec(_arg) do
    db_settings = Application.fetch_env!(:todo, :database)

    [name_prefix, _] = "#{node()}" |> String.split("@")
    db_folder = "#{Keyword.fetch!(db_settings, :db_folder)}/#{name_prefix}/"
    File.mkdir_p!(db_folder)

    workers =
      Enum.map(1..@pool_size, fn worker_id ->
        Supervisor.child_spec({Todo.DatabaseWorker, {db_folder, worker_id}}, id: worker_id)
      end)

    children = [{Registry, keys: :unique, name: Todo.DatabaseRegistry} | workers]

    %{
      id: __MODULE__,
      start: {Supervisor, :start_link, [children, [strategy: :one_for_one]]},
      type: :supervisor
    }
  end

  # Writes on this node and every node in Node.list(), waiting up to 5 s; nodes that were down
  # or too slow are printed, and the result is :ok whatever happened (as in the book).
  def store(key, data) do
    {_results, bad_nodes} =
      :rpc.multicall(__MODULE__, :store_local, [key, data], :timer.seconds(5))

    Enum.each(bad_nodes, &IO.puts("Store failed on node #{&1}"))
    :ok
  end

  def store_local(key, data) do
    key
    |> choose_worker()
    |> Todo.DatabaseWorker.store(key, data)
  end

  def get(key) do
    key
    |> choose_worker()
    |> Todo.DatabaseWorker.get(key)
  end

  defp choose_worker(key), do: :erlang.phash2(key, @pool_size) + 1
end
