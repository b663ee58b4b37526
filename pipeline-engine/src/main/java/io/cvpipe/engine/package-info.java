package io.cvpipe.engine;
