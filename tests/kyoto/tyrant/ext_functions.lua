-- ext functions used by the Tokyo Tyrant tests (ttserver -ext / txkv --ext)
function echo(key, value)
  return key .. "=" .. value
end

function nothing(key, value)
  return nil
end

function counter(key, value)
  return tostring(_addint(key, tonumber(value) or 1))
end

function store(key, value)
  _put(key, value)
  return _get(key)
end
