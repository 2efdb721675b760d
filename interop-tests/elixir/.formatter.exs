# Formatter settings for the Elixir todo app (`mix format`).
[
  inputs: ["{mix,.formatter}.exs", "lib/**/*.{ex,exs}"]
]
