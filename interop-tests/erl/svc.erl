%% Test services on a BEAM node for the Rust node's gen_server and rpc tests: an echo
%% gen_server that can also be slow, crash or count casts.
-module(svc).
-behaviour(gen_server).
-export([start/1, init/1, handle_call/3, handle_cast/2, handle_info/2]).

%% Starts the server registered as Name (not linked to the caller), returns its pid.
start(Name) ->
    {ok, Pid} = gen_server:start({local, Name}, ?MODULE, [], []),
    Pid.

init([]) -> {ok, []}.

handle_call({sleep, Ms}, _From, Casts) -> timer:sleep(Ms), {reply, slept, Casts};
handle_call({crash, Reason}, _From, _Casts) -> exit(Reason);
handle_call(casts, _From, Casts) -> {reply, lists:reverse(Casts), Casts};
handle_call({later, Reply}, From, Casts) ->
    spawn(fun() -> timer:sleep(50), gen_server:reply(From, Reply) end),
    {noreply, Casts};
handle_call(Request, _From, Casts) -> {reply, {echo, node(), Request}, Casts}.

handle_cast(Request, Casts) -> {noreply, [Request | Casts]}.

handle_info(_Info, Casts) -> {noreply, Casts}.
